package dev.omniscribe.udfs;

/**
 * One input file found by the source.
 *
 * @param path the file's full URI as Flink's {@code FileSystem} names it ({@code file:/...}, {@code
 *     s3a://...}); also the file's id downstream
 * @param relativePath the path below the input root, with {@code /} separators; outputs are named
 *     after it
 * @param sizeBytes file size in bytes
 * @param options how this file is transcribed, or null for the job's options
 */
public record AudioFile(String path, String relativePath, long sizeBytes, FileOptions options) {

    /** A file transcribed with the job's options. */
    public AudioFile(String path, String relativePath, long sizeBytes) {
        this(path, relativePath, sizeBytes, null);
    }
}
