package dev.omniscribe.udfs;

/**
 * The engine's text for one segment, or the failure of that segment or of its file.
 *
 * @param fileId the file's full path
 * @param relativePath the file's path below the input root
 * @param sizeBytes the file's size in bytes
 * @param index position in the file, from 0
 * @param startMs start in the file, in milliseconds
 * @param endMs end in the file (exclusive), in milliseconds
 * @param last whether this is the file's last record
 * @param text the generated text, not yet post-processed; empty on failure
 * @param tokens number of generated tokens
 * @param model short name of the model that produced the text
 * @param failedStage {@code decode} or {@code transcribe} on failure, else null
 * @param error the failure message, else null
 * @param options how the file is transcribed
 * @param language the language detected on this segment (an ISO 639-1 code or {@code unknown}) when
 *     it is the one the file's language was asked on, else null
 * @param finish how its generation ended
 * @param retry how its retry ended, or null when it was not retried
 * @param channel 0 when channels are mixed, else the channel (from 1)
 * @param speech where speech lies in the segment (in the file, ms); empty for failure and end
 *     records; null means the whole segment
 */
public record TranscribedSegment(
        String fileId,
        String relativePath,
        long sizeBytes,
        int index,
        long startMs,
        long endMs,
        boolean last,
        String text,
        int tokens,
        String model,
        String failedStage,
        String error,
        FileOptions options,
        String language,
        Finish finish,
        Finish retry,
        int channel,
        SpeechRegion[] speech) {

    public TranscribedSegment {
        finish = finish == null ? Finish.STOP : finish;
        speech = speech == null ? new SpeechRegion[] {new SpeechRegion(startMs, endMs)} : speech;
    }

    /**
     * A segment of mixed channels, speech throughout, with no language detected, that stopped by
     * itself (or failed).
     */
    public TranscribedSegment(
            String fileId,
            String relativePath,
            long sizeBytes,
            int index,
            long startMs,
            long endMs,
            boolean last,
            String text,
            int tokens,
            String model,
            String failedStage,
            String error,
            FileOptions options) {
        this(
                fileId,
                relativePath,
                sizeBytes,
                index,
                startMs,
                endMs,
                last,
                text,
                tokens,
                model,
                failedStage,
                error,
                options,
                null,
                Finish.STOP,
                null,
                0,
                null);
    }

    public boolean failed() {
        return failedStage != null;
    }

    /** Whether this is a file's end record ({@link SegmentRecord#end}): no audio, no text. */
    public boolean isEnd() {
        return !failed() && speech.length == 0;
    }

    /**
     * Carries a record without audio (a decode failure, a file's end record) through transcription
     * unchanged.
     */
    public static TranscribedSegment passThrough(SegmentRecord s) {
        return new TranscribedSegment(
                s.fileId(),
                s.relativePath(),
                s.sizeBytes(),
                s.index(),
                s.startMs(),
                s.endMs(),
                s.last(),
                "",
                0,
                null,
                s.failed() ? "decode" : null,
                s.error(),
                s.options(),
                null,
                Finish.STOP,
                null,
                s.channel(),
                s.speech());
    }
}
