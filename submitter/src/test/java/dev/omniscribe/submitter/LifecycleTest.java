package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.SharedEngines;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model's life (resident between jobs, unloaded after the idle timeout, reloaded by the next
 * job, preloaded at start), progress while a job runs, start-up checks, and jobs surviving a
 * restart.
 */
class LifecycleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path work;
    @TempDir Path audioDir;

    @AfterEach
    void nothingStaysLoaded() {
        assertThat(SharedEngines.jvm().isLoaded(TestServer.TINY_MODEL))
                .as("closing the service frees the model")
                .isFalse();
    }

    @Test
    void theModelStaysLoadedBetweenJobs() throws Exception {
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 3));
        try (TestServer server = TestServer.start(work, "--idle-timeout", "600")) {
            Http http = server.http;
            assertThat(modelLoaded(http)).as("not loaded before the first job").isFalse();
            long loads = SharedEngines.jvm().loads();

            transcribe(http, wav, "segment_duration=3");
            assertThat(modelLoaded(http)).as("resident after the job").isTrue();
            transcribe(http, wav, "segment_duration=2&no_cache=true");
            assertThat(modelLoaded(http)).isTrue();

            assertThat(SharedEngines.jvm().loads() - loads).as("two jobs, one load").isEqualTo(1);
        }
    }

    @Test
    void theModelIsUnloadedAfterTheIdleTimeoutAndReloadedByTheNextJob() throws Exception {
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 3));
        try (TestServer server = TestServer.start(work, "--idle-timeout", "1")) {
            Http http = server.http;
            long loads = SharedEngines.jvm().loads();

            transcribe(http, wav, "segment_duration=3");
            awaitModelLoaded(http, false, Duration.ofSeconds(30));
            assertThat(SharedEngines.jvm().loads() - loads).isEqualTo(1);

            transcribe(http, wav, "segment_duration=2&no_cache=true");
            assertThat(SharedEngines.jvm().loads() - loads).as("reloaded").isEqualTo(2);
            awaitModelLoaded(http, false, Duration.ofSeconds(30));
        }
    }

    @Test
    void preloadLoadsTheModelAtStartAndTheFirstJobUsesIt() throws Exception {
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 3));
        long loads = SharedEngines.jvm().loads();
        try (TestServer server = TestServer.start(work, "--idle-timeout", "0", "--preload")) {
            Http http = server.http;
            assertThat(modelLoaded(http)).as("preloaded").isTrue();
            assertThat(SharedEngines.jvm().loads() - loads).isEqualTo(1);
            // The warm-up clip went through the job before the port opened, and left no trace
            // but the engine's batch.
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            while (JSON.readTree(http.get("/health").body()).path("engine_batches").isEmpty()) {
                assertThat(Instant.now()).as("the warm-up's engine batch").isBefore(deadline);
                Thread.sleep(100);
            }
            assertThat(JSON.readTree(http.get("/jobs").body()).path("jobs").size()).isZero();
            try (java.util.stream.Stream<Path> outputs =
                            java.nio.file.Files.list(work.resolve("outputs"));
                    java.util.stream.Stream<Path> inbox =
                            java.nio.file.Files.list(work.resolve("inbox"))) {
                assertThat(outputs).isEmpty();
                assertThat(inbox).isEmpty();
            }

            transcribe(http, wav, "segment_duration=3");

            assertThat(modelLoaded(http)).as("idle timeout 0 never unloads").isTrue();
            assertThat(SharedEngines.jvm().loads() - loads).isEqualTo(1);
        }
    }

    @Test
    void statusReportsSegmentProgressWhileTheJobRuns() throws Exception {
        // Five minutes in one-second segments, batches of 4: many progress polls before the end.
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "long.m4a", 300));
        try (TestServer server = TestServer.start(work)) {
            Http http = server.http;
            HttpResponse<String> r =
                    http.postFile("/transcribe/async?segment_duration=1", "long.m4a", wav);
            assertThat(r.statusCode()).isEqualTo(202);
            String id = JSON.readTree(r.body()).path("job_id").asText();

            List<int[]> seen = new ArrayList<>();
            JsonNode status;
            Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
            do {
                assertThat(Instant.now()).as("finished within 5 minutes").isBefore(deadline);
                Thread.sleep(50);
                status = JSON.readTree(http.get("/status/" + id).body());
                JsonNode p = status.path("progress");
                if (!p.path("segments_total").isNull()) {
                    seen.add(
                            new int[] {
                                p.path("segments_done").asInt(), p.path("segments_total").asInt()
                            });
                }
            } while (status.path("status").asText().equals("processing"));

            assertThat(status.path("status").asText()).isEqualTo("completed");
            int[] last = seen.get(seen.size() - 1);
            assertThat(last[0]).as("all done at the end").isEqualTo(last[1]);
            assertThat(last[1]).as("about one segment a second").isGreaterThanOrEqualTo(150);
            for (int i = 1; i < seen.size(); i++) {
                assertThat(seen.get(i)[0])
                        .as("done never goes back")
                        .isGreaterThanOrEqualTo(seen.get(i - 1)[0]);
                assertThat(seen.get(i)[1])
                        .as("total never goes back")
                        .isGreaterThanOrEqualTo(seen.get(i - 1)[1]);
            }
            assertThat(seen)
                    .as("some poll saw the job part done")
                    .anySatisfy(
                            p -> {
                                assertThat(p[0]).isPositive();
                                assertThat(p[0]).isLessThan(p[1]);
                            });
        }
    }

    @Test
    void aFolderWithoutAModelStopsTheServiceAtStartWithAClearMessage() {
        assertThatThrownBy(
                        () ->
                                TranscriptionServer.start(
                                        ServeCommand.config(
                                                "--host",
                                                "127.0.0.1",
                                                "--port",
                                                "0",
                                                "--model",
                                                audioDir.toString(),
                                                "--work-dir",
                                                work.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.json");
    }

    @Test
    void completedJobsAndTheirResultsSurviveARestart() throws Exception {
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 2));
        String id;
        String text;
        try (TestServer first = TestServer.start(work)) {
            HttpResponse<String> r = first.http.postFile("/transcribe/json", "tone.wav", wav);
            assertThat(r.statusCode()).isEqualTo(200);
            id = JSON.readTree(r.body()).path("job_id").asText();
            text = first.http.get("/jobs/" + id + "/result.txt").body();
        }

        try (TestServer second = TestServer.start(work)) {
            JsonNode status = JSON.readTree(second.http.get("/status/" + id).body());
            assertThat(status.path("status").asText()).isEqualTo("completed");
            assertThat(second.http.get("/jobs/" + id + "/result.txt").body()).isEqualTo(text);
            JsonNode again =
                    JSON.readTree(second.http.postFile("/transcribe/json", "t.wav", wav).body());
            assertThat(again.path("cached").asBoolean()).as("cache rebuilt from disk").isTrue();
        }
    }

    private static void transcribe(Http http, byte[] wav, String query) throws IOException {
        HttpResponse<String> r = http.postFile("/transcribe/json?" + query, "tone.wav", wav);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("cached").asBoolean()).isFalse();
    }

    private static boolean modelLoaded(Http http) throws IOException {
        return JSON.readTree(http.get("/health").body()).path("model_loaded").asBoolean();
    }

    private static void awaitModelLoaded(Http http, boolean expected, Duration timeout)
            throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (modelLoaded(http) != expected) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("model_loaded did not become " + expected);
            }
            Thread.sleep(200);
        }
    }
}
