package dev.omniscribe.udfs;

import java.nio.file.Files;
import java.nio.file.Path;

/** The tiny random-weight model committed in {@code models/tiny}: real engine, meaningless text. */
public final class TinyModel {

    private TinyModel() {}

    /** The fp32 tiny model folder; fails loudly if it is missing. */
    public static Path dir() {
        Path dir = Path.of("..", "models", "tiny", "onnx-fp32").toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("model.json"))) {
            throw new IllegalStateException(
                    "the tiny test model is missing at " + dir + "; it is committed in the repo");
        }
        return dir;
    }

    /** Greedy decoding of at most {@code maxNewTokens}, batches of {@code batchSize}. */
    public static EngineSettings greedy(int batchSize, int maxNewTokens) {
        return EngineSettings.defaults(dir().toString())
                .withGreedy()
                .withMaxNewTokens(maxNewTokens)
                .withBatchSize(batchSize)
                .withThreads(1);
    }
}
