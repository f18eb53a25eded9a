package dev.omniscribe.submitter.jobs;

/** Where a job is. {@code /status} reports QUEUED and RUNNING both as {@code processing}. */
public enum JobState {
    QUEUED,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELLED;

    /** The old service's word: {@code processing}, {@code completed} or {@code failed}. */
    public String publicName() {
        return switch (this) {
            case QUEUED, RUNNING -> "processing";
            case COMPLETED -> "completed";
            case FAILED -> "failed";
            case CANCELLED -> "cancelled";
        };
    }

    public boolean finished() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }
}
