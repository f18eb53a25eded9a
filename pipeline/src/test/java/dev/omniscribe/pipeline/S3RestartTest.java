package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 server (S3Proxy) stopped and started again on the same port in the middle of a job over
 * {@code s3a://} input and output, on a mini cluster of two task managers with a fixed-delay
 * restart strategy: the job finishes, every input has exactly one complete set of outputs, no other
 * object is left and no file is reported failed.
 */
class S3RestartTest {

    private static final int RESTARTS = 30;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = PipelineTests.twoTaskManagersRestarting(RESTARTS);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FILES = 24;

    @Test
    void aJobSurvivesTheS3ServerRestartingMidJobWithOneSetOfOutputsPerInput(
            @TempDir Path audio, @InjectMiniCluster MiniCluster cluster) throws Exception {
        S3Proxy proxy = S3TranscribeTest.startProxy(0);
        int port = proxy.getPort();
        String endpoint = "http://127.0.0.1:" + port;
        try (S3Client s3 =
                S3Client.builder()
                        .endpointOverride(URI.create(endpoint))
                        .forcePathStyle(true)
                        .region(Region.US_EAST_1)
                        .credentialsProvider(
                                StaticCredentialsProvider.create(
                                        AwsBasicCredentials.create(
                                                S3TranscribeTest.ACCESS_KEY,
                                                S3TranscribeTest.SECRET_KEY)))
                        .httpClient(ApacheHttpClient.create())
                        .build()) {
            s3.createBucket(b -> b.bucket("restart"));
            Path speech =
                    AudioFixtures.write(audio.resolve("speech.wav"), Pattern.SPEECH, 14, 16_000, 1);
            Path tones =
                    AudioFixtures.write(
                            audio.resolve("tones.ogg"),
                            Pattern.TONES,
                            9,
                            48_000,
                            2,
                            "-c:a",
                            "libopus");
            TreeSet<String> inputs = new TreeSet<>();
            for (int i = 0; i < FILES; i++) {
                String name = i % 2 == 0 ? "talk" + i + ".wav" : "music" + i + ".ogg";
                Path file = i % 2 == 0 ? speech : tones;
                s3.putObject(
                        b -> b.bucket("restart").key("in/" + name), RequestBody.fromFile(file));
                inputs.add(name);
            }

            Storage storage =
                    new Storage(
                            endpoint,
                            true,
                            Map.of(
                                    "fs.s3a.access.key", S3TranscribeTest.ACCESS_KEY,
                                    "fs.s3a.secret.key", S3TranscribeTest.SECRET_KEY,
                                    "fs.s3a.retry.limit", "2",
                                    "fs.s3a.retry.interval", "100ms",
                                    "fs.s3a.attempts.maximum", "1",
                                    "fs.s3a.connection.establish.timeout", "2s",
                                    "fs.s3a.connection.timeout", "5s"));
            OutputLayout layout =
                    new OutputLayout("s3a://restart/out", List.of(OutputFormat.values()), storage);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(
                            PipelineTests.restarts(RESTARTS));
            TranscribeJob.build(
                    env,
                    AudioSources.folder("s3a://restart/in", null, null, storage),
                    new TranscriptSink(layout, TinyModel.dir().toString()),
                    new FailureSink(layout),
                    S3TranscribeTest.settings(storage, layout));
            long start = System.nanoTime();
            JobClient job = env.executeAsync("s3 restart");

            // Some transcripts written, then the server goes away until the job has restarted (its
            // reads failed), and comes back.
            while (keys(s3, "out/").size() < 8) {
                assertThat(job.getJobStatus().get().isGloballyTerminalState()).isFalse();
                Thread.sleep(50);
            }
            int doneBefore = keys(s3, "out/").size() / 4;
            long down = System.nanoTime();
            proxy.stop(); // returns once its connections are closed
            S3TranscribeTest.await(
                    "the job to restart while the server is down",
                    () -> restartedAt(cluster, job) > 0);
            double outage = (System.nanoTime() - down) / 1e9;
            proxy = S3TranscribeTest.startProxy(port);
            job.getJobExecutionResult().get();
            double seconds = (System.nanoTime() - start) / 1e9;

            long restarted =
                    cluster.getExecutionGraph(job.getJobID())
                            .get()
                            .getStatusTimestamp(JobStatus.RESTARTING);
            System.out.printf(
                    "s3 server stopped for %.1f s with about %d/%d files done; job finished in"
                            + " %.1f s (restarted: %s)%n",
                    outage, doneBefore, FILES, seconds, restarted > 0);
            assertThat(restarted).as("the outage failed tasks and the job restarted").isPositive();

            TreeSet<String> expected = new TreeSet<>();
            for (String in : inputs) {
                for (OutputFormat f : OutputFormat.values()) {
                    expected.add(layout.outputFor(in, f).getName());
                }
            }
            TreeMap<String, String> out = objects(s3, "out/");
            assertThat(out.keySet())
                    .as("one set per input, no failures list, nothing else")
                    .isEqualTo(expected);
            for (String in : inputs) {
                String json = out.get(layout.outputFor(in, OutputFormat.JSON).getName());
                assertThat(JSON.readTree(json).get("file").asText()).isEqualTo(in);
                String twin = in.startsWith("talk") ? "talk0.wav" : "music1.ogg";
                for (OutputFormat f : List.of(OutputFormat.TXT, OutputFormat.SRT)) {
                    assertThat(out.get(layout.outputFor(in, f).getName()))
                            .as("%s as %s equals its twin's", in, f)
                            .isEqualTo(out.get(layout.outputFor(twin, f).getName()));
                }
            }
        } finally {
            proxy.stop();
        }
    }

    private static TreeSet<String> keys(S3Client s3, String prefix) {
        TreeSet<String> out = new TreeSet<>();
        for (S3Object o :
                s3.listObjectsV2Paginator(b -> b.bucket("restart").prefix(prefix)).contents()) {
            out.add(o.key().substring(prefix.length()));
        }
        return out;
    }

    private static TreeMap<String, String> objects(S3Client s3, String prefix) {
        TreeMap<String, String> out = new TreeMap<>();
        for (S3Object o :
                s3.listObjectsV2Paginator(b -> b.bucket("restart").prefix(prefix)).contents()) {
            out.put(
                    o.key().substring(prefix.length()),
                    s3.getObjectAsBytes(b -> b.bucket("restart").key(o.key())).asUtf8String());
        }
        return out;
    }

    /** When the job last went into RESTARTING, or 0 if it has not; 0 while it cannot be read. */
    private static long restartedAt(MiniCluster cluster, JobClient job) {
        try {
            return cluster.getExecutionGraph(job.getJobID())
                    .get()
                    .getStatusTimestamp(JobStatus.RESTARTING);
        } catch (Exception e) {
            return 0;
        }
    }
}
