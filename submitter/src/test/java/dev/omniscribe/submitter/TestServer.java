package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@link TranscriptionServer} on a free loopback port, with the tiny model and a test work
 * folder.
 */
final class TestServer implements AutoCloseable {

    /** The tiny random-weight model every test runs. */
    static final Path TINY_MODEL =
            Path.of("..", "models", "tiny", "onnx-fp32").toAbsolutePath().normalize();

    /**
     * {@code bin/serve}'s arguments for a test server: loopback on a free port, the tiny model,
     * short greedy generations (fast and repeatable), 10 s segments, no practical rate limit.
     */
    static List<String> args(Path workDir, String... extra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--host", "127.0.0.1",
                                "--port", "0",
                                "--model", TINY_MODEL.toString(),
                                "--work-dir", workDir.toString(),
                                "--max-new-tokens", "6",
                                "--temperature", "0",
                                "--segment-duration", "10",
                                // The tests' tones are no speech: the old cuts, unless a test asks.
                                "--vad", "off",
                                "--rate-limit", "10000"));
        args.addAll(List.of(extra));
        return args;
    }

    final TranscriptionServer server;
    final Http http;
    final ServerConfig config;

    private TestServer(ServerConfig config) {
        this.config = config;
        this.server = TranscriptionServer.start(config);
        this.http = new Http(server.port(), config.apiKey());
    }

    /** A server configured as {@code bin/serve} with {@link #args} and then {@code extra}. */
    static TestServer start(Path workDir, String... extra) {
        assertThat(TINY_MODEL.resolve("model.json"))
                .as("the tiny model (models/tiny/onnx-fp32) must exist; make it with models/export")
                .satisfies(p -> assertThat(Files.isRegularFile(p)).isTrue());
        return new TestServer(ServeCommand.config(args(workDir, extra).toArray(String[]::new)));
    }

    @Override
    public void close() {
        server.close();
    }
}
