package dev.omniscribe.submitter.jobs;

/** The job queue is full; the client should retry later. */
public final class QueueFullException extends Exception {
    public QueueFullException(int capacity) {
        super("the transcription queue is full (" + capacity + " waiting); retry later");
    }
}
