package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watch mode on a local folder, stopped hard (cancelled, no savepoint) and restored from its last
 * retained checkpoint: nothing lost, nothing redone.
 */
class WatchHardStopTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = PipelineTests.oneTaskManagerTwoSlots();

    private static final SegmentationSettings SEGMENTS =
            new SegmentationSettings(10_000, false, SegmentationSettings.Channels.MIXED);
    private static final List<String> FORMATS = List.of("json", "srt", "txt", "vtt");
    private static final Duration POLL = Duration.ofMillis(500);
    private static final long CHECKPOINT_MS = 1000;

    /** Starts the watch job as the command configures it (checkpoints kept on cancel). */
    private static JobClient startWatching(Path in, Path out, Path checkpoints, Path restore)
            throws Exception {
        Configuration conf = new Configuration();
        TranscribeCommand.watchConfiguration(
                conf, checkpoints.toString(), restore == null ? null : restore.toString());
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.configure(conf);
        env.enableCheckpointing(CHECKPOINT_MS);
        OutputLayout layout =
                new OutputLayout(out.toUri().toString(), List.of(OutputFormat.values()));
        TranscribeJob.build(
                env,
                AudioSources.folder(in.toUri().toString(), null, POLL),
                new TranscriptSink(layout, TinyModel.dir().toString()),
                new FailureSink(layout),
                // As the command without --overwrite: completed inputs are skipped.
                PipelineTests.tinyJob(SEGMENTS, 4, 4, layout, null));
        return env.executeAsync("watch hard stop");
    }

    /** Puts a copy of {@code src} into the watched folder in one step (no half-written file). */
    private static void drop(Path src, Path in, String name) throws IOException {
        Path staged = in.resolveSibling("staging").resolve(name);
        Files.createDirectories(staged.getParent());
        Files.copy(src, staged);
        Files.move(staged, in.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void aCancelledWatchJobRestoredFromItsLastCheckpointLosesAndRedoesNothing(@TempDir Path work)
            throws Exception {
        Path in = Files.createDirectories(work.resolve("in"));
        Path out = work.resolve("out");
        Path checkpoints = work.resolve("checkpoints");
        Path src = Files.createDirectories(work.resolve("src"));
        Path speech = AudioFixtures.write(src.resolve("speech.wav"), Pattern.SPEECH, 6, 16_000, 1);
        Path tones = AudioFixtures.write(src.resolve("tones.wav"), Pattern.TONES, 4, 16_000, 1);
        TreeSet<String> inputs = new TreeSet<>();
        for (int i = 0; i < 12; i++) {
            String name = String.format("first-%02d.wav", i);
            drop(i % 2 == 0 ? speech : tones, in, name);
            inputs.add(name);
        }

        JobClient first = startWatching(in, out, checkpoints, null);
        await("some transcripts", () -> completeSets(out, inputs).size() >= 2);
        int checkpointAtOutputs =
                latestCheckpoint(checkpoints).map(WatchHardStopTest::number).orElse(0);
        await(
                "a checkpoint completed after the first transcripts",
                () ->
                        latestCheckpoint(checkpoints).map(WatchHardStopTest::number).orElse(0)
                                > checkpointAtOutputs);
        // More work after that checkpoint; stop as soon as part of it is done.
        int doneSoFar = completeSets(out, inputs).size();
        for (int i = 0; i < 6; i++) {
            String name = String.format("late-%02d.wav", i);
            drop(i % 2 == 0 ? speech : tones, in, name);
            inputs.add(name);
        }
        await("a late input", () -> completeSets(out, inputs).size() > doneSoFar);
        first.cancel().get(1, TimeUnit.MINUTES);
        await("the cancelled job to end", () -> terminal(first));

        Path restore = latestCheckpoint(checkpoints).orElseThrow();
        Map<String, List<FileTime>> doneBeforeStop = completeSets(out, inputs);
        Map<String, String> contentBeforeStop = contents(out, doneBeforeStop.keySet());
        System.out.printf(
                "cancelled with %d/%d inputs done; restoring from %s%n",
                doneBeforeStop.size(), inputs.size(), checkpoints.relativize(restore));

        // Arrive while nothing runs.
        for (int i = 0; i < 2; i++) {
            String name = String.format("stopped-%02d.wav", i);
            drop(i % 2 == 0 ? speech : tones, in, name);
            inputs.add(name);
        }
        JobClient second = startWatching(in, out, checkpoints, restore);
        await("the inputs so far", () -> completeSets(out, inputs).size() == inputs.size());
        drop(speech, in, "running-00.wav");
        inputs.add("running-00.wav");
        await(
                "the input added while running",
                () -> completeSets(out, inputs).size() == inputs.size());
        // A few more polls and checkpoints: nothing more may come.
        Thread.sleep(4 * CHECKPOINT_MS);
        second.cancel().get(1, TimeUnit.MINUTES);
        await("the restored job to end", () -> terminal(second));

        TreeSet<String> expected = new TreeSet<>();
        for (String f : inputs) {
            for (String format : FORMATS) {
                expected.add(f + "." + format);
            }
        }
        Path failures = out.resolve(OutputLayout.FAILURES_FILE);
        assertThat(failures)
                .as(Files.exists(failures) ? Files.readString(failures) : "")
                .doesNotExist();
        assertThat(PipelineTests.filesUnder(out))
                .as("one set per input: no temporary, partial or duplicate file, no failures")
                .isEqualTo(expected);
        // Nothing complete before the stop was written again.
        assertThat(completeSets(out, inputs)).containsAllEntriesOf(doneBeforeStop);
        assertThat(contents(out, doneBeforeStop.keySet())).isEqualTo(contentBeforeStop);
    }

    private static boolean terminal(JobClient job) {
        try {
            return job.getJobStatus().get().isGloballyTerminalState();
        } catch (Exception e) {
            // The mini cluster forgets nothing here, but a finished job may be reported as gone.
            return true;
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    /** The newest {@code chk-N} below {@code dir} with its metadata written (completed). */
    private static Optional<Path> latestCheckpoint(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.walk(dir, 2)) {
            return s.filter(p -> p.getFileName().toString().matches("chk-\\d+"))
                    .filter(p -> Files.exists(p.resolve("_metadata")))
                    .max((a, b) -> Integer.compare(number(a), number(b)));
        } catch (IOException e) {
            // A checkpoint being discarded while listed: look again.
            return Optional.empty();
        }
    }

    private static int number(Path chk) {
        return Integer.parseInt(chk.getFileName().toString().substring("chk-".length()));
    }

    /** Inputs whose four outputs all exist, with the outputs' modification times. */
    private static Map<String, List<FileTime>> completeSets(Path out, Iterable<String> inputs) {
        Map<String, List<FileTime>> m = new TreeMap<>();
        for (String f : inputs) {
            try {
                boolean all = true;
                for (String format : FORMATS) {
                    all &= Files.exists(out.resolve(f + "." + format));
                }
                if (all) {
                    List<FileTime> times = new ArrayList<>();
                    for (String format : FORMATS) {
                        times.add(Files.getLastModifiedTime(out.resolve(f + "." + format)));
                    }
                    m.put(f, times);
                }
            } catch (IOException e) {
                // Not there yet.
            }
        }
        return m;
    }

    private static Map<String, String> contents(Path out, Iterable<String> inputs)
            throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (String f : inputs) {
            for (String format : FORMATS) {
                m.put(f + "." + format, Files.readString(out.resolve(f + "." + format)));
            }
        }
        return m;
    }
}
