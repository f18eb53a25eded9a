package dev.omniscribe.submitter.upload;

import java.nio.file.Path;

/**
 * An upload stored on disk.
 *
 * @param file where it lies, {@code inputs/<job id>/<sanitized name>}
 * @param fileName the sanitized client file name
 * @param sha256 hex SHA-256 of the content
 * @param sizeBytes length of the content in bytes
 */
public record Upload(Path file, String fileName, String sha256, long sizeBytes) {}
