package dev.omniscribe.udfs;

/**
 * One input file found by the source.
 *
 * @param path the file's full URI as Flink's {@code FileSystem} names it ({@code file:/...}, {@code
 *     s3a://...}); also the file's id downstream
 * @param relativePath the path below the input root, with {@code /} separators; outputs are named
 *     after it
 * @param sizeBytes file size in bytes
 */
public record AudioFile(String path, String relativePath, long sizeBytes) {}
