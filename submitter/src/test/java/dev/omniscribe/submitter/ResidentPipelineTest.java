package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service's one resident pipeline job, over real HTTP with the tiny model: concurrent uploads
 * share engine batches, short uploads are not held back by a long one, accepted jobs survive a
 * restart, and a job can be cancelled.
 */
class ResidentPipelineTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path audioDir;
    @TempDir Path work;

    private ExecutorService clients;

    @BeforeEach
    void start() {
        clients = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stop() {
        clients.shutdownNow();
    }

    @Test
    void segmentsOfConcurrentUploadsShareEngineBatches() throws Exception {
        // Eight clips shorter than one segment: each upload is one segment, so a batch of more
        // than one segment holds segments of different uploads.
        List<byte[]> clips = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            clips.add(TestAudio.bytes(TestAudio.tone(audioDir, "clip" + i + ".wav", 3 + i * 0.25)));
        }
        try (TestServer server =
                TestServer.start(work, "--batch-size", "8", "--batch-wait-ms", "200")) {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < clips.size(); i++) {
                byte[] clip = clips.get(i);
                String name = "clip" + i + ".wav";
                answers.add(
                        clients.submit(() -> server.http.postFile("/transcribe/json", name, clip)));
            }
            for (Future<HttpResponse<String>> a : answers) {
                HttpResponse<String> r = a.get();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(JSON.readTree(r.body()).path("segments").size()).isEqualTo(1);
            }
            Map<Integer, Integer> sizes = awaitBatches(server, 8);
            assertThat(sizes.keySet())
                    .as("engine batch sizes while 8 one-segment uploads ran: %s", sizes)
                    .anySatisfy(size -> assertThat(size).isGreaterThan(1));
        }
    }

    @Test
    void shortUploadsFinishWhileALongOneIsStillRunning() throws Exception {
        byte[] longAudio = TestAudio.bytes(TestAudio.tone(audioDir, "long.m4a", 900));
        List<byte[]> clips = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clips.add(TestAudio.bytes(TestAudio.tone(audioDir, "short" + i + ".wav", 2 + i * 0.5)));
        }
        try (TestServer server = TestServer.start(work)) {
            HttpResponse<String> accepted =
                    server.http.postFile(
                            "/transcribe/async?segment_duration=1", "long.m4a", longAudio);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String id = JSON.readTree(accepted.body()).path("job_id").asText();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (status(server, id).path("progress").path("segments_done").asInt() == 0) {
                assertThat(Instant.now()).as("the long upload's first segments").isBefore(deadline);
                Thread.sleep(20);
            }

            // Its ~900 one-second segments keep coming, yet the short uploads' segments
            // interleave with them rather than waiting behind them (here they were done with
            // about a fifth of the long one's segments transcribed).
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < clips.size(); i++) {
                byte[] clip = clips.get(i);
                String name = "short" + i + ".wav";
                answers.add(
                        clients.submit(() -> server.http.postFile("/transcribe/json", name, clip)));
            }
            for (Future<HttpResponse<String>> a : answers) {
                assertThat(a.get().statusCode()).as(a.get().body()).isEqualTo(200);
            }
            JsonNode longStatus = status(server, id);

            assertThat(longStatus.path("status").asText())
                    .as("the long upload when the short ones were done: %s", longStatus)
                    .isEqualTo("processing");
            assertThat(delete(server, "/jobs/" + id).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anAcceptedJobIsResumedAfterARestart() throws Exception {
        byte[] audio = TestAudio.bytes(TestAudio.tone(audioDir, "long.m4a", 300));
        String id;
        try (TestServer first = TestServer.start(work)) {
            HttpResponse<String> r =
                    first.http.postFile("/transcribe/async?segment_duration=1", "long.m4a", audio);
            assertThat(r.statusCode()).isEqualTo(202);
            id = JSON.readTree(r.body()).path("job_id").asText();
            assertThat(status(first, id).path("status").asText()).isEqualTo("processing");
        }

        try (TestServer second = TestServer.start(work)) {
            JsonNode status = awaitFinished(second, id);
            assertThat(status.path("status").asText()).isEqualTo("completed");
            assertThat(status.path("progress").path("segments_done").asInt())
                    .isGreaterThanOrEqualTo(150);
            assertThat(second.http.get("/jobs/" + id + "/result.txt").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aJobCancelledWhileRunningEndsCancelledAndIsListed() throws Exception {
        byte[] audio = TestAudio.bytes(TestAudio.tone(audioDir, "long.m4a", 300));
        try (TestServer server = TestServer.start(work)) {
            HttpResponse<String> r =
                    server.http.postFile("/transcribe/async?segment_duration=1", "long.m4a", audio);
            String id = JSON.readTree(r.body()).path("job_id").asText();

            HttpResponse<String> cancelled = delete(server, "/jobs/" + id);
            assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
            assertThat(JSON.readTree(cancelled.body()).path("status").asText())
                    .isEqualTo("cancelled");

            assertThat(status(server, id).path("status").asText()).isEqualTo("cancelled");
            assertThat(server.http.get("/jobs/" + id + "/result.txt").statusCode()).isEqualTo(404);
            assertThat(delete(server, "/jobs/" + id).statusCode())
                    .as("a finished job cannot be cancelled")
                    .isEqualTo(409);
            JsonNode listed = JSON.readTree(server.http.get("/jobs").body()).path("jobs");
            assertThat(listed.size()).isEqualTo(1);
            assertThat(listed.get(0).path("job_id").asText()).isEqualTo(id);
            assertThat(listed.get(0).path("status").asText()).isEqualTo("cancelled");
        }
        // A cancelled job is not resumed.
        try (TestServer again = TestServer.start(work)) {
            JsonNode listed = JSON.readTree(again.http.get("/jobs").body()).path("jobs");
            assertThat(listed.get(0).path("status").asText()).isEqualTo("cancelled");
        }
    }

    private static JsonNode status(TestServer server, String id) throws IOException {
        return JSON.readTree(server.http.get("/status/" + id).body());
    }

    private static JsonNode awaitFinished(TestServer server, String id) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (true) {
            JsonNode s = status(server, id);
            if (!s.path("status").asText().equals("processing")) {
                return s;
            }
            assertThat(Instant.now()).as("job %s finished within 3 minutes", id).isBefore(deadline);
            Thread.sleep(100);
        }
    }

    /** The engine batch sizes in /health once they account for {@code segments} segments. */
    private static Map<Integer, Integer> awaitBatches(TestServer server, int segments)
            throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            JsonNode batches =
                    JSON.readTree(server.http.get("/health").body()).path("engine_batches");
            Map<Integer, Integer> sizes = new java.util.TreeMap<>();
            int counted = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = batches.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int size = Integer.parseInt(e.getKey());
                sizes.put(size, e.getValue().asInt());
                counted += size * e.getValue().asInt();
            }
            if (counted >= segments) {
                return sizes;
            }
            assertThat(Instant.now())
                    .as("/health reports the batches of %d segments: %s", segments, sizes)
                    .isBefore(deadline);
            Thread.sleep(100);
        }
    }

    private static HttpResponse<String> delete(TestServer server, String path)
            throws IOException, InterruptedException {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://127.0.0.1:" + server.server.port() + path))
                                .DELETE()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }
}
