package dev.omniscribe.submitter.jobs;

import dev.omniscribe.submitter.TranscribeOptions;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs one uploaded file through the transcription pipeline. Implementations own the model's life:
 * {@link #loadModel()} preloads it, {@link #unloadModel()} frees it now, and the implementation
 * frees it by itself after its idle timeout.
 */
public interface Transcriber extends AutoCloseable {

    /**
     * Transcribes {@code input} into {@code outputDir} ({@code <name>.txt}, {@code .srt}, {@code
     * .vtt}, {@code .json}); blocks until done. Loads the model first if it is not loaded.
     *
     * @param progress told segments done and total as they change, from any thread
     * @throws TranscriptionFailedException when the file cannot be transcribed
     */
    Transcript transcribe(
            Path input, TranscribeOptions options, Path outputDir, ProgressListener progress)
            throws TranscriptionFailedException;

    /** Whether the model is in memory now; null when it cannot be known (a remote cluster's). */
    Boolean isModelLoaded();

    /** Loads the model if it is not loaded. */
    void loadModel();

    /** Frees the model if it is loaded and no transcription is using it. */
    void unloadModel();

    /**
     * How many engine batches had each size so far, for operators (batches of concurrent uploads
     * share the engine); from memory, refreshed in the background; empty when unknown.
     */
    Map<Integer, Integer> batchSizes();

    /** Short name of the model, for responses. */
    String modelName();

    @Override
    void close();

    /** Segment progress of one transcription. */
    @FunctionalInterface
    interface ProgressListener {
        void onProgress(int segmentsDone, int segmentsTotal);
    }

    /**
     * The input could not be transcribed.
     *
     * <p>{@code clientError} tells whether the input is at fault (undecodable audio: a 4xx) or the
     * service (a 5xx).
     */
    final class TranscriptionFailedException extends Exception {
        private final boolean clientError;

        public TranscriptionFailedException(String message, boolean clientError, Throwable cause) {
            super(message, cause);
            this.clientError = clientError;
        }

        public boolean clientError() {
            return clientError;
        }
    }
}
