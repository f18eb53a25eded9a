package dev.omniscribe.submitter.jobs;

import dev.omniscribe.submitter.TranscribeOptions;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One transcription request, from upload to result. Its state moves only forward (queued, running,
 * then completed or failed), through the methods below, each safe to call from any thread; readers
 * take a consistent {@link #snapshot()}.
 */
public final class Job {

    private final String id;
    private final String fileName;
    private final String sha256;
    private final TranscribeOptions options;
    private final Path outputDir;
    private final Instant createdAt;
    private final CompletableFuture<Job> done = new CompletableFuture<>();

    private JobState state = JobState.QUEUED;
    private Instant startedAt;
    private Instant finishedAt;
    private int segmentsDone;
    private int segmentsTotal;
    private String error;
    private boolean clientError;
    private boolean cached;
    private Transcript transcript;

    public Job(
            String id,
            String fileName,
            String sha256,
            TranscribeOptions options,
            Path outputDir,
            Instant createdAt) {
        this.id = id;
        this.fileName = fileName;
        this.sha256 = sha256;
        this.options = options;
        this.outputDir = outputDir;
        this.createdAt = createdAt;
    }

    /**
     * A job read back from its record after a restart: finished ones as they ended, accepted ones
     * queued again (the caller resumes them).
     */
    static Job restore(JobRecord r, Path outputDir, Transcript transcript) {
        Job job =
                new Job(
                        r.id(),
                        r.fileName(),
                        r.sha256(),
                        r.options(),
                        outputDir,
                        JobRecord.instant(r.createdAt()));
        synchronized (job) {
            job.startedAt = JobRecord.instant(r.startedAt());
        }
        Instant finished = JobRecord.instant(r.finishedAt());
        if (!r.state().finished()) {
            return job;
        }
        if (r.state() == JobState.CANCELLED) {
            job.cancel(finished);
        } else if (r.state() == JobState.COMPLETED && transcript != null) {
            job.complete(transcript, r.cached(), finished);
        } else {
            job.fail(r.error() == null ? "failed" : r.error(), r.clientError(), finished);
        }
        return job;
    }

    public String id() {
        return id;
    }

    public String fileName() {
        return fileName;
    }

    public String sha256() {
        return sha256;
    }

    public TranscribeOptions options() {
        return options;
    }

    public Path outputDir() {
        return outputDir;
    }

    /** Completes (normally, with this job) when the job is completed or failed. */
    public CompletableFuture<Job> done() {
        return done;
    }

    /** Cache key: same content and same options give the same transcript. */
    public String cacheKey() {
        return cacheKey(sha256, options);
    }

    public static String cacheKey(String sha256, TranscribeOptions options) {
        return sha256 + "/" + options.canonical();
    }

    /** Moves a queued job to running; false if it was cancelled meanwhile. */
    synchronized boolean markRunning(Instant now) {
        if (state != JobState.QUEUED) {
            return false;
        }
        state = JobState.RUNNING;
        startedAt = now;
        return true;
    }

    synchronized void progress(int doneCount, int total) {
        segmentsDone = Math.max(segmentsDone, doneCount);
        segmentsTotal = Math.max(segmentsTotal, total);
    }

    void complete(Transcript result, boolean fromCache, Instant now) {
        synchronized (this) {
            if (state.finished()) {
                return;
            }
            state = JobState.COMPLETED;
            transcript = result;
            cached = fromCache;
            if (startedAt == null) {
                startedAt = now;
            }
            finishedAt = now;
            segmentsTotal = Math.max(segmentsTotal, result.segments().size());
            segmentsDone = segmentsTotal;
        }
        done.complete(this);
    }

    /** Cancels a job that has not finished; false if it had. */
    boolean cancel(Instant now) {
        synchronized (this) {
            if (state.finished()) {
                return false;
            }
            state = JobState.CANCELLED;
            if (startedAt == null) {
                startedAt = now;
            }
            finishedAt = now;
        }
        done.complete(this);
        return true;
    }

    void fail(String message, boolean byClient, Instant now) {
        synchronized (this) {
            if (state.finished()) {
                return;
            }
            state = JobState.FAILED;
            error = message;
            clientError = byClient;
            if (startedAt == null) {
                startedAt = now;
            }
            finishedAt = now;
        }
        done.complete(this);
    }

    /** Everything about the job at one instant. */
    public synchronized Snapshot snapshot() {
        return new Snapshot(
                id,
                fileName,
                sha256,
                options,
                state,
                createdAt,
                startedAt,
                finishedAt,
                segmentsDone,
                segmentsTotal,
                error,
                clientError,
                cached,
                transcript);
    }

    /**
     * A consistent copy of a job's state.
     *
     * @param transcript non-null once completed
     * @param error non-null once failed
     * @param clientError whether the failure is the input's fault
     * @param cached whether the result came from the cache
     */
    public record Snapshot(
            String id,
            String fileName,
            String sha256,
            TranscribeOptions options,
            JobState state,
            Instant createdAt,
            Instant startedAt,
            Instant finishedAt,
            int segmentsDone,
            int segmentsTotal,
            String error,
            boolean clientError,
            boolean cached,
            Transcript transcript) {}
}
