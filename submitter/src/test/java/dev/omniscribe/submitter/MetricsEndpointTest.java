package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.udfs.Promtool;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} over real HTTP after real requests, checked by Prometheus' promtool. */
class MetricsEndpointTest {

    @TempDir Path work;
    @TempDir Path audioDir;

    @Test
    void countsRequestsJobsAudioAndBatchesInPrometheusTextThatPromtoolAccepts() throws Exception {
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 3));
        try (TestServer server = TestServer.start(work)) {
            Http http = server.http;
            assertThat(http.postFile("/transcribe/json", "tone.wav", wav).statusCode())
                    .isEqualTo(200);
            assertThat(http.get("/status/0123456789abcdef0123456789abcdef").statusCode())
                    .isEqualTo(404);
            assertThat(http.get("/no/such/route").statusCode()).isEqualTo(404);
            assertThat(http.get("/").statusCode()).isEqualTo(200);

            String text = scrapeWithBatches(http);

            assertThat(
                            value(
                                    text,
                                    "omniscribe_http_requests_total",
                                    "POST",
                                    "/transcribe/json",
                                    "200"))
                    .isEqualTo(1.0);
            assertThat(
                            value(
                                    text,
                                    "omniscribe_http_requests_total",
                                    "GET",
                                    "/status/{job_id}",
                                    "404"))
                    .isEqualTo(1.0);
            assertThat(value(text, "omniscribe_http_requests_total", "GET", "unmatched", "404"))
                    .isEqualTo(1.0);
            assertThat(value(text, "omniscribe_http_requests_total", "GET", "static", "200"))
                    .isEqualTo(1.0);
            assertThat(sample(text, "omniscribe_jobs{state=\"completed\"}")).isEqualTo(1.0);
            assertThat(sample(text, "omniscribe_jobs{state=\"running\"}")).isEqualTo(0.0);
            assertThat(sample(text, "omniscribe_queue_depth")).isEqualTo(0.0);
            assertThat(sample(text, "omniscribe_audio_seconds_total"))
                    .isCloseTo(3.0, Offset.offset(0.01));
            assertThat(sample(text, "omniscribe_real_time_factor_count")).isEqualTo(1.0);
            assertThat(sample(text, "omniscribe_real_time_factor_sum")).isPositive();
            assertThat(sample(text, "omniscribe_engine_batches_total{size=\"1\"}")).isEqualTo(1.0);
            assertThat(sample(text, "omniscribe_model_loaded")).isEqualTo(1.0);
            // On the CPU no GPU figures exist: the series is absent, not zero.
            assertThat(text).doesNotContain("omniscribe_gpu_memory_allocated_bytes ");

            Promtool.check(text);
        }
    }

    /** Scrapes until the engine's batch sizes have arrived from the job (10 s at most). */
    private static String scrapeWithBatches(Http http) throws InterruptedException {
        String text = "";
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = http.get("/metrics");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElseThrow())
                    .startsWith("text/plain; version=0.0.4");
            text = r.body();
            if (text.contains("omniscribe_engine_batches_total{")) {
                return text;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no engine batches reported:\n" + text);
    }

    private static double value(
            String text, String name, String method, String endpoint, String status) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{")
                    && line.contains("method=\"" + method + "\"")
                    && line.contains("endpoint=\"" + endpoint + "\"")
                    && line.contains("status=\"" + status + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError(
                "no " + name + " for " + method + " " + endpoint + " " + status + " in\n" + text);
    }

    /** The value of the series written exactly as {@code series} (name and labels). */
    private static double sample(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        if (!m.find()) {
            throw new AssertionError("no series " + series + " in\n" + text);
        }
        return Double.parseDouble(m.group(1));
    }
}
