package dev.omniscribe.udfs;

import dev.omniscribe.models.Languages;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * All of one file's segments in order, or the reason the file failed.
 *
 * @param fileId the file's full path
 * @param relativePath the file's path below the input root
 * @param sizeBytes the file's size in bytes
 * @param durationMs decoded audio duration in milliseconds (end of the last segment)
 * @param model short name of the model, or null if no segment reached the engine
 * @param tokens generated tokens over all segments
 * @param segments the segments in index order; empty on failure
 * @param failedStage {@code decode} or {@code transcribe} on failure, else null
 * @param error the failure message, else null
 * @param options how the file was transcribed
 * @param language the spoken language: the ISO 639-1 code given or detected, or {@code unknown}
 */
public record FileTranscript(
        String fileId,
        String relativePath,
        long sizeBytes,
        long durationMs,
        String model,
        long tokens,
        TranscriptSegment[] segments,
        String failedStage,
        String error,
        FileOptions options,
        String language) {

    public FileTranscript {
        language = language == null ? Languages.UNKNOWN : language;
    }

    /** A transcript whose language is unknown. */
    public FileTranscript(
            String fileId,
            String relativePath,
            long sizeBytes,
            long durationMs,
            String model,
            long tokens,
            TranscriptSegment[] segments,
            String failedStage,
            String error,
            FileOptions options) {
        this(
                fileId,
                relativePath,
                sizeBytes,
                durationMs,
                model,
                tokens,
                segments,
                failedStage,
                error,
                options,
                null);
    }

    public boolean failed() {
        return failedStage != null;
    }

    /** The same transcript with every segment's text passed through {@code edit}. */
    public FileTranscript mapText(UnaryOperator<String> edit) {
        TranscriptSegment[] edited =
                Arrays.stream(segments)
                        .map(s -> s.withText(edit.apply(s.text())))
                        .toArray(TranscriptSegment[]::new);
        return new FileTranscript(
                fileId,
                relativePath,
                sizeBytes,
                durationMs,
                model,
                tokens,
                edited,
                failedStage,
                error,
                options,
                language);
    }
}
