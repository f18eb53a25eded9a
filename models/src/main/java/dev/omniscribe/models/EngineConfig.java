package dev.omniscribe.models;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the model lives and where it runs. Values only: the folder is read when an engine loads it
 * ({@link ModelSpec#checkFolder(Path)} checks it ahead of that).
 *
 * @param modelDir folder written by the exporter (holds {@code model.json})
 * @param gpuDeviceId CUDA device index, or -1 for the CPU provider
 * @param intraOpThreads threads per ONNX Runtime session on CPU; 0 lets ONNX Runtime choose
 * @param stopAtEos whether generation stops at the model's end tokens; false only for benchmarks,
 *     where every segment runs to its token budget
 */
public record EngineConfig(Path modelDir, int gpuDeviceId, int intraOpThreads, boolean stopAtEos) {

    /** An engine that stops at the model's end tokens. */
    public EngineConfig(Path modelDir, int gpuDeviceId, int intraOpThreads) {
        this(modelDir, gpuDeviceId, intraOpThreads, true);
    }

    public EngineConfig {
        Objects.requireNonNull(modelDir, "modelDir");
        if (gpuDeviceId < -1) {
            throw new IllegalArgumentException(
                    "GPU device id must be -1 (CPU) or >= 0, got " + gpuDeviceId);
        }
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException(
                    "intra-op threads must be >= 0, got " + intraOpThreads);
        }
    }
}
