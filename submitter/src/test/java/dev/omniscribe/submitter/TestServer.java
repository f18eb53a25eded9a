package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** A real {@link Submitter} on a free loopback port, with the tiny model and a test work folder. */
final class TestServer implements AutoCloseable {

    /** The tiny random-weight model every test runs. */
    static final Path TINY_MODEL =
            Path.of("..", "models", "tiny", "onnx-fp32").toAbsolutePath().normalize();

    /** Short generations keep the tests fast; greedy keeps them repeatable. */
    static final TranscribeOptions TEST_DEFAULTS =
            TranscribeOptions.DEFAULTS
                    .withMaxNewTokens(6)
                    .withTemperature(0)
                    .withSegmentDurationS(10);

    final Submitter submitter;
    final Http http;
    final ServerConfig config;

    private TestServer(ServerConfig config) {
        this.config = config;
        this.submitter = Submitter.start(config);
        this.http = new Http(submitter.port(), config.apiKey());
    }

    static TestServer start(Path workDir, UnaryOperator<ServerConfig> tweak) {
        assertThat(TINY_MODEL.resolve("model.json"))
                .as("the tiny model (models/tiny/onnx-fp32) must exist; make it with models/export")
                .satisfies(p -> assertThat(Files.isRegularFile(p)).isTrue());
        ServerConfig base =
                ServerConfig.defaults(TINY_MODEL, workDir)
                        .withHostPort("127.0.0.1", 0)
                        .withDefaults(TEST_DEFAULTS)
                        .withRateLimitPerMinute(10_000);
        return new TestServer(tweak.apply(base));
    }

    static TestServer start(Path workDir) {
        return start(workDir, c -> c);
    }

    @Override
    public void close() {
        submitter.close();
    }
}
