package dev.omniscribe.udfs;

import dev.omniscribe.models.GenerationOptions;
import java.io.Serializable;
import java.time.Duration;

/**
 * The engine each task slot loads, and how it generates.
 *
 * @param modelDir the model folder (local path on every task manager)
 * @param batchSize most segments per batched generation
 * @param batchWaitMs longest time a partial batch waits for more segments, in milliseconds
 * @param maxNewTokens upper bound on generated tokens per segment
 * @param temperature 0 for greedy decoding, else the sampling temperature
 * @param repetitionPenalty transformers-style repetition penalty; 1 disables it
 * @param seed seed of the sampler
 * @param systemPrompt the system message, or null for the model folder's default
 * @param prompt the instruction after the audio, or null for the model folder's default
 * @param threads ONNX Runtime intra-op threads per engine on CPU; 0 lets ONNX Runtime choose
 * @param gpus GPUs per machine in the embedded cluster (a slot takes GPU {@code subtask % gpus}); 0
 *     means CPU unless Flink's external resource {@code gpu} assigns one
 * @param idleTimeoutMs how long the engine stays loaded after its last user (task) closes, in
 *     milliseconds, so that the next job in the same JVM finds it loaded (see {@link
 *     SharedEngines}); 0 unloads it at once, negative keeps it while the JVM lives
 */
public record EngineSettings(
        String modelDir,
        int batchSize,
        long batchWaitMs,
        int maxNewTokens,
        double temperature,
        double repetitionPenalty,
        long seed,
        String systemPrompt,
        String prompt,
        int threads,
        int gpus,
        long idleTimeoutMs)
        implements Serializable {

    public EngineSettings {
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException("a model folder is required");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        if (batchWaitMs < 0) {
            throw new IllegalArgumentException("batch wait must be >= 0 ms, got " + batchWaitMs);
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
        if (gpus < 0) {
            throw new IllegalArgumentException("gpus must be >= 0, got " + gpus);
        }
        // Validates the generation options with the engine's own messages.
        new GenerationOptions(
                maxNewTokens, temperature, repetitionPenalty, seed, systemPrompt, prompt);
    }

    /** {@link #idleTimeoutMs()} as a duration (negative: kept while the JVM lives). */
    public Duration idleTimeout() {
        return Duration.ofMillis(idleTimeoutMs);
    }

    /** The old service's defaults: 8192 new tokens, temperature 0.1, repetition penalty 1.1. */
    public static EngineSettings defaults(String modelDir) {
        GenerationOptions d = GenerationOptions.DEFAULTS;
        return new EngineSettings(
                modelDir,
                4,
                1_000,
                d.maxNewTokens(),
                d.temperature(),
                d.repetitionPenalty(),
                d.seed(),
                null,
                null,
                0,
                0,
                0);
    }

    public GenerationOptions generationOptions() {
        return new GenerationOptions(
                maxNewTokens, temperature, repetitionPenalty, seed, systemPrompt, prompt);
    }

    public EngineSettings withBatchSize(int n) {
        return new EngineSettings(
                modelDir,
                n,
                batchWaitMs,
                maxNewTokens,
                temperature,
                repetitionPenalty,
                seed,
                systemPrompt,
                prompt,
                threads,
                gpus,
                idleTimeoutMs);
    }

    public EngineSettings withMaxNewTokens(int n) {
        return new EngineSettings(
                modelDir,
                batchSize,
                batchWaitMs,
                n,
                temperature,
                repetitionPenalty,
                seed,
                systemPrompt,
                prompt,
                threads,
                gpus,
                idleTimeoutMs);
    }

    public EngineSettings withGreedy() {
        return with(0, 1.0, threads, idleTimeoutMs);
    }

    public EngineSettings withThreads(int n) {
        return with(temperature, repetitionPenalty, n, idleTimeoutMs);
    }

    public EngineSettings withIdleTimeoutMs(long ms) {
        return with(temperature, repetitionPenalty, threads, ms);
    }

    /** A copy with the settings the {@code with} methods change replaced. */
    private EngineSettings with(double temp, double penalty, int n, long idleMs) {
        return new EngineSettings(
                modelDir,
                batchSize,
                batchWaitMs,
                maxNewTokens,
                temp,
                penalty,
                seed,
                systemPrompt,
                prompt,
                n,
                gpus,
                idleMs);
    }
}
