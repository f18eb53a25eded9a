package dev.omniscribe.udfs;

import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

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

    /** The tiny model on the CPU with one ONNX Runtime thread, unloaded when unused. */
    public static EngineSettings engine() {
        return new EngineSettings(dir().toString(), 1, 0, Duration.ZERO);
    }

    /**
     * Files cut at most every {@code segmentMs} at silences, speech detection off (the whole audio,
     * as the tests of exact cuts need), and transcribed with {@code generation}.
     */
    public static FileOptions options(long segmentMs, GenerationOptions generation) {
        return new FileOptions(
                new SegmentationSettings(segmentMs, false, SegmentationSettings.Channels.MIXED),
                generation,
                ChineseConversion.NONE);
    }

    /** Files cut into speech segments of at most {@code segmentMs}, channels as given. */
    public static FileOptions speechOptions(
            long segmentMs, SegmentationSettings.Channels channels, GenerationOptions generation) {
        return new FileOptions(
                new SegmentationSettings(segmentMs, true, channels),
                generation,
                ChineseConversion.NONE);
    }

    /** Greedy decoding of at most {@code maxNewTokens}: repeatable output. */
    public static GenerationOptions greedy(int maxNewTokens) {
        return GenerationOptions.greedy(maxNewTokens);
    }
}
