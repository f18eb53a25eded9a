package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.TinyModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code transcribe --flink-address}: the job runs on a session cluster reached over its REST
 * endpoint (here a mini cluster's; the job's classes are on its class path, so no jar ships), and
 * the command still prints the progress, read back over REST.
 */
class TranscribeCommandOnSessionClusterTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = PipelineTests.oneTaskManagerTwoSlots();

    @TempDir Path work;

    @Test
    void runsTheJobOnTheClusterAndPrintsItsProgressHere(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Path in = Files.createDirectories(work.resolve("in"));
        AudioFixtures.write(in.resolve("a.wav"), Pattern.SPEECH, 4, 16_000, 1);
        AudioFixtures.write(in.resolve("b.wav"), Pattern.SPEECH, 2, 16_000, 1);
        URI rest = cluster.getRestAddress().get();
        // As from a separate client: no test environment standing in for the cluster.
        TestStreamEnvironment.unsetAsContext();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        int exit =
                new picocli.CommandLine(
                                new TranscribeCommand(
                                        new PrintStream(printed, true, StandardCharsets.UTF_8),
                                        System.err))
                        .execute(
                                "--input",
                                in.toString(),
                                "--output",
                                work.resolve("out").toString(),
                                "--model",
                                TinyModel.dir().toString(),
                                "--max-new-tokens",
                                "1",
                                "--formats",
                                "txt",
                                "--flink-address",
                                rest.getHost() + ":" + rest.getPort());

        assertThat(exit).isZero();
        assertThat(work.resolve("out/a.wav.txt")).exists();
        assertThat(work.resolve("out/b.wav.txt")).exists();
        String text = printed.toString(StandardCharsets.UTF_8);
        assertThat(text).containsPattern("\\[progress] 2/2 files, 0\\.00 h audio, \\d+x real time");
        assertThat(text).contains("2 files transcribed, 0 failed");
        // The job ran on the cluster: its REST API lists it as finished.
        assertThat(cluster.listJobs().get()).hasSize(1);
    }
}
