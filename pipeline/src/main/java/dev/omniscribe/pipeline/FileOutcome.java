package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.FileTranscript;

/**
 * What progress reporting needs of a finished file.
 *
 * @param relativePath the file's path below the input root
 * @param sizeBytes the file's size in bytes
 * @param durationMs decoded audio in milliseconds
 * @param failed whether the file failed
 */
public record FileOutcome(String relativePath, long sizeBytes, long durationMs, boolean failed) {

    public static FileOutcome of(FileTranscript t) {
        return new FileOutcome(t.relativePath(), t.sizeBytes(), t.durationMs(), t.failed());
    }
}
