package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.BatchSettings;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/** Mini clusters and file listings the job tests share. */
final class PipelineTests {

    private PipelineTests() {}

    /** One task manager with two slots, Flink's default restart strategy. */
    /**
     * A job on the tiny model: greedy, at most {@code maxNewTokens} per segment, batches of {@code
     * batchSize} (1 s wait), two slots and two decoders, no conversion.
     */
    static JobSettings tinyJob(
            SegmentationSettings segmentation,
            int batchSize,
            int maxNewTokens,
            OutputLayout skipCompleted,
            Storage storage) {
        return new JobSettings(
                segmentation,
                TinyModel.engine(),
                new BatchSettings(batchSize, BatchSettings.DEFAULT_WAIT_MS),
                TinyModel.greedy(maxNewTokens),
                ChineseConversion.NONE,
                null,
                2,
                2,
                skipCompleted,
                storage);
    }

    static MiniClusterExtension oneTaskManagerTwoSlots() {
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(2)
                        .build());
    }

    /**
     * Two task managers of one slot each; a failed job restarts up to {@code attempts} times, 0.5 s
     * apart; generic types off (every record type must have a Flink serializer).
     */
    static MiniClusterExtension twoTaskManagersRestarting(int attempts) {
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(2)
                        .setNumberSlotsPerTaskManager(1)
                        .setConfiguration(restarts(attempts))
                        .build());
    }

    /** The configuration of {@link #twoTaskManagersRestarting}, for the jobs submitted to it. */
    static Configuration restarts(int attempts) {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        return conf;
    }

    /** Paths of the regular files under {@code dir}, relative to it, sorted. */
    static TreeSet<String> filesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
