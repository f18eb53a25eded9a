package dev.omniscribe.models;

import dev.omniscribe.models.onnx.GpuMemory;
import java.util.List;
import java.util.Optional;

/**
 * Turns 16 kHz mono PCM segments into text.
 *
 * <p>An engine holds a loaded model (ONNX Runtime sessions, tokenizer) until {@link #close()}.
 * Callers share one engine between threads, so {@link #transcribe(List)} must be safe to call
 * concurrently; {@link #close()} must not race with it.
 */
public interface SpeechEngine extends AutoCloseable {

    /**
     * Transcribes a batch of segments as one batched generation.
     *
     * <p>The result list has one entry per request, in request order. A request that fails on its
     * own (for example audio longer than the model accepts) yields a result with {@link
     * FinishReason#ERROR} and does not fail the others. Greedy output (temperature 0) for a request
     * is the same whether it runs alone or in a batch.
     *
     * @param requests segments with their generation options; may be empty
     * @return one transcription per request, same order
     */
    List<Transcription> transcribe(List<GenerationRequest> requests);

    /** Transcribes one segment; same as a batch of one. */
    default Transcription transcribe(GenerationRequest request) {
        return transcribe(List.of(request)).get(0);
    }

    /**
     * The instruction that asks the model which language a segment speaks, answered with an ISO
     * 639-1 code (read with {@link Languages#fromAnswer(String)}): the model folder's {@code
     * prompt.detect_language}.
     */
    default String languageQuestion() {
        return ModelSpec.DefaultPrompt.DEFAULT_DETECT_LANGUAGE;
    }

    /**
     * The text of generated token ids, special tokens skipped, as {@link Transcription#text()} is
     * made: for callers that keep part of a transcription.
     *
     * @throws UnsupportedOperationException if this engine has no tokenizer to decode with
     */
    default String decode(int[] tokenIds) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot decode tokens");
    }

    /** Short name of the loaded model (for outputs and logs), e.g. {@code Qwen2.5-Omni-7B-AWQ}. */
    String modelName();

    /**
     * Memory of the engine's GPU as the driver reports it; empty when the engine runs on the CPU or
     * the figures are unavailable. May run an external command: call it for health checks, not per
     * request.
     */
    default Optional<GpuMemory> gpuMemory() {
        return Optional.empty();
    }

    /** Releases the model; the engine may not be used afterwards. */
    @Override
    void close();
}
