package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.TranscribeFunction;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on a mini cluster of two task managers (one slot each) with a fixed-delay restart
 * strategy: a task manager lost mid-job, and an engine that fails on one segment.
 */
class FaultToleranceTest {

    private static final int RESTARTS = 3;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = PipelineTests.twoTaskManagersRestarting(RESTARTS);

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final SegmentationSettings SEGMENTS =
            new SegmentationSettings(10_000, false, SegmentationSettings.Channels.MIXED);
    private static final List<String> FORMATS = List.of("json", "srt", "txt", "vtt");

    /** Three distinct recordings, copied {@code copies} times each as {@code <kind>-<n>.<ext>}. */
    private static TreeMap<String, String> inputs(Path in, int copies) throws Exception {
        Path src = Files.createDirectories(in.resolveSibling("src"));
        Map<String, Path> kinds =
                Map.of(
                        "speech",
                        AudioFixtures.write(
                                src.resolve("speech.wav"), Pattern.SPEECH, 14, 16_000, 1),
                        "tones",
                        AudioFixtures.write(
                                src.resolve("tones.ogg"),
                                Pattern.TONES,
                                9,
                                48_000,
                                2,
                                "-c:a",
                                "libopus"),
                        "mixed",
                        AudioFixtures.write(
                                src.resolve("mixed.mp3"),
                                Pattern.SPEECH,
                                6,
                                22_050,
                                1,
                                "-c:a",
                                "libmp3lame"));
        TreeMap<String, String> kindOf = new TreeMap<>();
        for (var e : kinds.entrySet()) {
            String ext = e.getValue().getFileName().toString().replaceAll(".*\\.", "");
            for (int i = 0; i < copies; i++) {
                String name = String.format("%s-%02d.%s", e.getKey(), i, ext);
                Files.copy(e.getValue(), in.resolve(name));
                kindOf.put(name, e.getKey());
            }
        }
        return kindOf;
    }

    private static JobClient submit(Path in, Path out, TranscribeFunction transcribe)
            throws Exception {
        OutputLayout layout =
                new OutputLayout(out.toUri().toString(), List.of(OutputFormat.values()));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        PipelineTests.restarts(RESTARTS));
        JobSettings settings = PipelineTests.tinyJob(SEGMENTS, 4, 4, layout, null);
        TranscribeJob.build(
                env,
                AudioSources.folder(in.toUri().toString(), null, null),
                new TranscriptSink(layout, TinyModel.dir().toString()),
                new FailureSink(layout),
                settings,
                transcribe);
        return env.executeAsync("fault test");
    }

    @Test
    void aTaskManagerLostMidJobLeavesExactlyOneCompleteSetOfOutputsPerInput(
            @TempDir Path work, @InjectMiniCluster MiniCluster cluster) throws Exception {
        Path in = Files.createDirectories(work.resolve("in"));
        Path out = work.resolve("out");
        TreeMap<String, String> kindOf = inputs(in, 12);

        long start = System.nanoTime();
        JobClient job = submit(in, out, new TranscribeFunction(TinyModel.engine()));
        JobID id = job.getJobID();
        // Wait until some, not all, transcripts are complete, then take a task manager away.
        Map<String, FileTime> doneBeforeKill = new TreeMap<>();
        while (doneBeforeKill.size() < 4) {
            assertThat(job.getJobStatus().get().isGloballyTerminalState())
                    .as("the job is still running")
                    .isFalse();
            Thread.sleep(50);
            doneBeforeKill = completeJsons(out);
        }
        Map<String, String> contentBeforeKill = contents(out, doneBeforeKill.keySet());
        cluster.terminateTaskManager(0).get();
        double killedAt = (System.nanoTime() - start) / 1e9;
        cluster.startTaskManager();
        job.getJobExecutionResult().get();
        double seconds = (System.nanoTime() - start) / 1e9;

        long restartedAt =
                cluster.getExecutionGraph(id).get().getStatusTimestamp(JobStatus.RESTARTING);
        assertThat(restartedAt).as("the job restarted").isPositive();
        System.out.printf(
                "task manager killed at %.1f s with %d/%d files done; job finished in %.1f s%n",
                killedAt, doneBeforeKill.size(), kindOf.size(), seconds);
        assertThat(doneBeforeKill.size()).isLessThan(kindOf.size());

        TreeSet<String> expected = new TreeSet<>();
        for (String f : kindOf.keySet()) {
            for (String format : FORMATS) {
                expected.add(f + "." + format);
            }
        }
        Path failures = out.resolve("_failures.jsonl");
        assertThat(failures)
                .as(Files.exists(failures) ? Files.readString(failures) : "")
                .doesNotExist();
        assertThat(PipelineTests.filesUnder(out))
                .as("one set per input: no temporary, partial or duplicate file, no failures")
                .isEqualTo(expected);
        // Copies of one recording have identical transcripts: no half-written file survived.
        Map<String, String> firstOfKind = new TreeMap<>();
        for (var e : kindOf.entrySet()) {
            for (String format : FORMATS) {
                String text = Files.readString(out.resolve(e.getKey() + "." + format));
                if (format.equals("json")) {
                    JsonNode json = MAPPER.readTree(text);
                    assertThat(json.get("file").asText()).isEqualTo(e.getKey());
                    text = json.get("text").asText() + json.get("segments").size();
                }
                String key = e.getValue() + "." + format;
                firstOfKind.putIfAbsent(key, text);
                assertThat(text).as(e.getKey() + "." + format).isEqualTo(firstOfKind.get(key));
            }
        }
        // Transcripts complete before the loss were not redone after the restart.
        assertThat(completeJsons(out)).containsAllEntriesOf(doneBeforeKill);
        assertThat(contents(out, doneBeforeKill.keySet())).isEqualTo(contentBeforeKill);
    }

    @Test
    void anEngineFaultOnOneSegmentFailsThatFileAloneWithTheReason(@TempDir Path work)
            throws Exception {
        Path in = Files.createDirectories(work.resolve("in"));
        Path out = work.resolve("out");
        TreeMap<String, String> kindOf = inputs(in, 3);
        // 3.217 s at 16 kHz: the only segment of this length.
        AudioFixtures.write(in.resolve("poison.wav"), Pattern.SPEECH, 3.217, 16_000, 1);
        int poisonSamples = 51_472;

        job(
                submit(
                        in,
                        out,
                        new FailingSegmentTranscribeFunction(TinyModel.engine(), poisonSamples)));

        List<String> failures =
                Files.readAllLines(out.resolve("_failures.jsonl"), StandardCharsets.UTF_8);
        assertThat(failures).hasSize(1);
        JsonNode failure = MAPPER.readTree(failures.get(0));
        assertThat(failure.get("file").asText()).isEqualTo("poison.wav");
        assertThat(failure.get("stage").asText()).isEqualTo("transcribe");
        assertThat(failure.get("error").asText()).contains(FailingSegmentTranscribeFunction.FAULT);
        TreeSet<String> expected = new TreeSet<>(List.of("_failures.jsonl"));
        for (String f : kindOf.keySet()) {
            for (String format : FORMATS) {
                expected.add(f + "." + format);
            }
        }
        assertThat(PipelineTests.filesUnder(out)).isEqualTo(expected);
    }

    private static void job(JobClient client) throws Exception {
        client.getJobExecutionResult().get();
    }

    /** Inputs whose JSON (written last) exists, with its modification time. */
    private static Map<String, FileTime> completeJsons(Path out) throws IOException {
        Map<String, FileTime> m = new TreeMap<>();
        if (Files.isDirectory(out)) {
            // Read while the job writes: temporary files come and go, outputs only appear.
            try (Stream<Path> s = Files.list(out)) {
                for (Path p : s.toList()) {
                    String f = p.getFileName().toString();
                    if (f.endsWith(".json") && !f.startsWith(".")) {
                        m.put(f, Files.getLastModifiedTime(p));
                    }
                }
            }
        }
        return m;
    }

    private static Map<String, String> contents(Path out, Iterable<String> jsons)
            throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (String json : jsons) {
            m.put(json, Files.readString(out.resolve(json)));
        }
        return m;
    }
}
