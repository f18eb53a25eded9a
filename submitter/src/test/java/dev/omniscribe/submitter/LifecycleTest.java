package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model's life (the pipeline loads it per job: in memory exactly while a job runs), start-up
 * checks, and jobs surviving a restart.
 */
class LifecycleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path work;
    @TempDir Path audioDir;

    @Test
    void theModelIsInMemoryWhileAJobRunsAndFreedAfter() throws Exception {
        byte[] longWav = TestAudio.bytes(TestAudio.tone(audioDir, "long.wav", 40));
        try (TestServer server =
                TestServer.start(work, c -> c.withIdleTimeout(Duration.ofSeconds(2), true))) {
            Http http = server.http;
            assertThat(modelLoaded(http)).as("idle").isFalse();

            HttpResponse<String> r = http.postFile("/transcribe/async", "long.wav", longWav);
            assertThat(r.statusCode()).isEqualTo(202);
            String id = JSON.readTree(r.body()).path("job_id").asText();
            awaitModelLoaded(http, true, Duration.ofSeconds(60));
            while (JSON.readTree(http.get("/status/" + id).body())
                    .path("status")
                    .asText()
                    .equals("processing")) {
                Thread.sleep(200);
            }

            assertThat(modelLoaded(http)).as("freed with the job").isFalse();
        }
    }

    @Test
    void aFolderWithoutAModelStopsTheServiceAtStartWithAClearMessage() {
        assertThatThrownBy(
                        () ->
                                Submitter.start(
                                        ServerConfig.defaults(audioDir, work)
                                                .withHostPort("127.0.0.1", 0)))
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
