package dev.omniscribe.udfs;

import dev.omniscribe.udfs.guard.OutputGuard;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * The engine each task slot loads and where it runs. How it generates is {@link
 * dev.omniscribe.models.GenerationOptions}; how segments are grouped is {@link BatchSettings}.
 *
 * @param modelDir the model folder (local path on every task manager)
 * @param threads ONNX Runtime intra-op threads per engine on CPU; 0 lets ONNX Runtime choose
 * @param gpus GPUs per machine in the embedded cluster (a slot takes GPU {@code subtask % gpus}); 0
 *     means CPU unless Flink's external resource {@code gpu} assigns one
 * @param idleTimeout how long the engine stays loaded after its last user (task) closes, so that
 *     the next job in the same JVM finds it loaded (see {@link SharedEngines}): zero unloads it at
 *     once, {@link SharedEngines#KEEP_LOADED} keeps it while the JVM lives
 * @param fixedTokensPer30s 0 normally; for benchmarks N &gt; 0 makes every segment generate exactly
 *     {@code ceil(N * seconds / 30)} tokens, stop tokens ignored (the same work per audio second as
 *     {@code engine-bench --ignore-eos --max-new-tokens N} on 30 s segments); it turns the guard
 *     and language detection off
 * @param guard the token budget per audio second and the repetition check around the engine
 */
public record EngineSettings(
        String modelDir,
        int threads,
        int gpus,
        Duration idleTimeout,
        int fixedTokensPer30s,
        OutputGuard guard)
        implements Serializable {

    /** An engine that generates as the segments' options say, with the default guard. */
    public EngineSettings(String modelDir, int threads, int gpus, Duration idleTimeout) {
        this(modelDir, threads, gpus, idleTimeout, 0, OutputGuard.DEFAULT);
    }

    /** The same settings with {@code g} as the guard. */
    public EngineSettings withGuard(OutputGuard g) {
        return new EngineSettings(modelDir, threads, gpus, idleTimeout, fixedTokensPer30s, g);
    }

    public EngineSettings {
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException("a model folder is required");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
        if (gpus < 0) {
            throw new IllegalArgumentException("gpus must be >= 0, got " + gpus);
        }
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(guard, "guard");
        if (fixedTokensPer30s < 0) {
            throw new IllegalArgumentException(
                    "fixed tokens per 30 s must be 0 (off) or positive, got " + fixedTokensPer30s);
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException(
                    "idle timeout must be zero (unload at once) or positive, got " + idleTimeout);
        }
    }

    /** An engine on the CPU with ONNX Runtime's thread choice, unloaded when its job ends. */
    public static EngineSettings cpu(String modelDir) {
        return new EngineSettings(modelDir, 0, 0, Duration.ZERO);
    }
}
