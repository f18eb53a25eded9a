package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Collection;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --flink-address}: jobs are submitted over REST to a running Flink cluster (a mini cluster
 * with its REST endpoint, started here in the test's JVM, so the job's classes are already on its
 * class path and no job jar is shipped).
 */
class SessionClusterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path work;
    @TempDir Path audioDir;

    private MiniCluster cluster;
    private String address;

    @BeforeEach
    void startCluster() throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_PORT, "0");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        cluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(conf)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(1)
                                .build());
        cluster.start();
        URI rest = cluster.getRestAddress().get();
        address = rest.getHost() + ":" + rest.getPort();
    }

    @AfterEach
    void stopCluster() throws Exception {
        cluster.close();
    }

    @Test
    void uploadsRunInTheServicesOneJobOnTheSessionCluster() throws Exception {
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 12));
        try (TestServer server =
                TestServer.start(work, "--idle-timeout", "300", "--flink-address", address)) {
            HttpResponse<String> r =
                    server.http.postFile("/transcribe/json?segment_duration=4", "tone.wav", wav);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            int segments = body.path("segments").size();
            assertThat(segments).as("12 s cut at most every 4 s").isGreaterThanOrEqualTo(3);
            assertThat(body.path("transcription").asText()).isNotBlank();

            String id = body.path("job_id").asText();
            JsonNode status = JSON.readTree(server.http.get("/status/" + id).body());
            assertThat(status.path("progress").path("segments_done").asInt()).isEqualTo(segments);

            HttpResponse<String> again =
                    server.http.postFile(
                            "/transcribe/json?segment_duration=4&no_cache=true", "again.wav", wav);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);

            Collection<JobStatusMessage> jobs = cluster.listJobs().get();
            assertThat(jobs)
                    .as("both uploads ran in the service's one job on the session cluster")
                    .singleElement()
                    .satisfies(
                            j -> {
                                assertThat(j.getJobName()).startsWith("omniscribe service ");
                                assertThat(j.getJobState()).isEqualTo(JobStatus.RUNNING);
                            });

            JsonNode health = JSON.readTree(server.http.get("/health").body());
            assertThat(health.path("model_loaded").isNull())
                    .as("the cluster's model is out of sight")
                    .isTrue();
        }
    }

    @Test
    void aBadAddressOrPreloadWithARemoteClusterIsRefusedAtStart() {
        assertThatThrownBy(() -> config("--flink-address", "nohostport"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host:port");
        assertThatThrownBy(() -> config("--preload", "--flink-address", address))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--preload");
        assertThatThrownBy(
                        () ->
                                config(
                                        "--flink-address",
                                        address,
                                        "--job-jar",
                                        work.resolve("missing.jar").toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("job jar");
    }

    private ServerConfig config(String... extra) {
        return ServeCommand.config(TestServer.args(work, extra).toArray(String[]::new));
    }
}
