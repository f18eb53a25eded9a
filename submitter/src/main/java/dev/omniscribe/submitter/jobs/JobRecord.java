package dev.omniscribe.submitter.jobs;

import dev.omniscribe.submitter.TranscribeOptions;
import java.time.Instant;

/**
 * What {@code outputs/<id>/job.json} keeps of a finished job, so that a restart still answers for
 * it (times as ISO-8601 text). Written (atomically) only after all of the job's outputs are
 * complete.
 */
record JobRecord(
        String id,
        String fileName,
        String sha256,
        TranscribeOptions options,
        JobState state,
        String createdAt,
        String startedAt,
        String finishedAt,
        String error,
        boolean clientError,
        boolean cached) {

    static JobRecord of(Job.Snapshot s) {
        return new JobRecord(
                s.id(),
                s.fileName(),
                s.sha256(),
                s.options(),
                s.state(),
                text(s.createdAt()),
                text(s.startedAt()),
                text(s.finishedAt()),
                s.error(),
                s.clientError(),
                s.cached());
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }

    static Instant instant(String t) {
        return t == null ? null : Instant.parse(t);
    }
}
