package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.BatchSettings;
import dev.omniscribe.udfs.JobMetrics;
import dev.omniscribe.udfs.Promtool;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.guard.OutputGuard;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded run's {@code --metrics-port}: Flink's own Prometheus reporter serves the job's
 * metrics under one group while the job runs, and Prometheus' promtool accepts them.
 */
class PrometheusReporterTest {

    private static final String PREFIX =
            "flink_taskmanager_job_task_operator_" + JobMetrics.GROUP + "_";

    @TempDir Path dir;

    @Test
    void servesTheJobsMetricsUnderOneGroupInPrometheusFormat() throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        AudioFixtures.write(in.resolve("a.wav"), Pattern.SPEECH, 14, 16_000, 1);
        AudioFixtures.write(in.resolve("b.wav"), Pattern.SPEECH, 6, 16_000, 1);
        int port = freePort();
        JobOptions options =
                new JobOptions(
                        TinyModel.dir().toString(),
                        new SegmentationSettings(5_000, false, SegmentationSettings.Channels.MIXED),
                        new BatchSettings(2, 200),
                        // a language given and no guard: exactly the segments' own tokens
                        TinyModel.greedy(3).withLanguage("en"),
                        ChineseConversion.NONE,
                        null,
                        1,
                        1,
                        1,
                        0,
                        Duration.ZERO,
                        Storage.DEFAULT,
                        0,
                        OutputGuard.OFF,
                        Integer.toString(port));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(options.flinkConfiguration());
        OutputLayout layout =
                new OutputLayout(dir.resolve("out").toUri().toString(), List.of(OutputFormat.TXT));
        // Watching keeps the job (and so its metrics) alive after both files are done.
        TranscribeJob.build(
                env,
                AudioSources.folder(in.toUri().toString(), null, Duration.ofMillis(500)),
                new TranscriptSink(layout, TinyModel.dir().toString()),
                new FailureSink(layout),
                options.settings(true, null));
        JobClient job = env.executeAsync("prometheus");
        try {
            String text = scrapeUntilFilesDone(port, 2);
            // Flink counts a counter and a gauge alike as a Prometheus gauge, and a histogram as a
            // summary; each quantity has one name.
            for (String name :
                    List.of(
                            JobMetrics.FILES_DECODED,
                            JobMetrics.SEGMENTS_CUT,
                            JobMetrics.AUDIO_SECONDS_DECODED,
                            JobMetrics.SEGMENTS_TRANSCRIBED,
                            JobMetrics.TOKENS_GENERATED,
                            JobMetrics.AUDIO_SECONDS_TRANSCRIBED,
                            JobMetrics.BATCHES,
                            JobMetrics.FILES_DONE,
                            JobMetrics.TRANSCRIPTS_WRITTEN)) {
                assertThat(text).contains("# TYPE " + PREFIX + name + " gauge\n");
            }
            for (String name :
                    List.of(
                            JobMetrics.BATCH_SIZE,
                            JobMetrics.SEGMENT_LATENCY_SECONDS,
                            JobMetrics.TOKENS_PER_SEGMENT)) {
                assertThat(text).contains("# TYPE " + PREFIX + name + " summary\n");
                assertThat(text).contains(PREFIX + name + "{");
                assertThat(text).contains(PREFIX + name + "_count{");
            }
            // 20 s of audio in segments of at most 5 s, each transcribed once, 1-3 tokens each.
            double segments = sum(text, PREFIX + JobMetrics.SEGMENTS_CUT);
            assertThat(segments).isGreaterThanOrEqualTo(4);
            assertThat(sum(text, PREFIX + JobMetrics.SEGMENTS_TRANSCRIBED)).isEqualTo(segments);
            assertThat(sum(text, PREFIX + JobMetrics.TOKENS_PER_SEGMENT + "_count"))
                    .isEqualTo(segments);
            assertThat(sum(text, PREFIX + JobMetrics.TOKENS_GENERATED))
                    .isBetween(segments, 3 * segments);
            assertThat(sum(text, PREFIX + JobMetrics.AUDIO_SECONDS_TRANSCRIBED))
                    .isCloseTo(20.0, org.assertj.core.data.Offset.offset(0.01));
            assertThat(sum(text, PREFIX + JobMetrics.AUDIO_SECONDS_DECODED))
                    .isCloseTo(20.0, org.assertj.core.data.Offset.offset(0.01));
            assertThat(text).doesNotContainPattern("omniscribe_[a-z_]*[A-Z]");
            // Seconds, not the microseconds it is recorded in: a tiny-model batch takes well
            // under a minute and more than nothing.
            Matcher median =
                    java.util.regex.Pattern.compile(
                                    PREFIX
                                            + JobMetrics.SEGMENT_LATENCY_SECONDS
                                            + "\\{[^}]*quantile=\"0.5\",} (\\S+)")
                            .matcher(text);
            assertThat(median.find()).isTrue();
            assertThat(Double.parseDouble(median.group(1))).isBetween(1e-4, 60.0);

            // promtool lints Flink's own metric names too (camelCase such as numRecordsIn); the
            // job's families are checked with every lint, the whole page for its syntax.
            String ours = familiesContaining(text, PREFIX);
            assertThat(Promtool.check(ours)).doesNotContain("error");
            Promtool.checkSyntax(text);
        } finally {
            job.cancel().get();
        }
    }

    /** Scrapes until the job's files-done counters add up to {@code files} (30 s at most). */
    private static String scrapeUntilFilesDone(int port, int files) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest get =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String text = "";
        while (System.nanoTime() < deadline) {
            try {
                text = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
                if (sum(text, PREFIX + JobMetrics.TRANSCRIPTS_WRITTEN) >= files) {
                    return text;
                }
            } catch (IOException notYetListening) {
                // the reporter starts with the cluster
            }
            Thread.sleep(200);
        }
        throw new AssertionError("files never reported done; last scrape:\n" + text);
    }

    /** The sum over every series of {@code name} (its label sets). */
    static double sum(String text, String name) {
        Matcher m =
                java.util.regex.Pattern.compile(
                                "(?m)^" + java.util.regex.Pattern.quote(name) + "\\{[^}]*} (\\S+)$")
                        .matcher(text);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    /** The families (HELP, TYPE and samples) whose names start with {@code prefix}. */
    static String familiesContaining(String text, String prefix) {
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n")) {
            String name = line.startsWith("# ") ? line.split(" ", 4)[2] : line.split("[{ ]", 2)[0];
            if (name.startsWith(prefix)) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
