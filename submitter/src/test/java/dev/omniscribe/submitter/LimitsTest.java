package dev.omniscribe.submitter;

import static dev.omniscribe.submitter.HttpEndpointsTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upload size limit, rate limit, queue bound and bearer auth, each on its own real server. */
class LimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path work;
    @TempDir Path audioDir;

    @Test
    void uploadsOverTheLimitAreRefusedWith413HoweverTheyArrive() throws IOException {
        byte[] big = new byte[200_000];
        new Random(1).nextBytes(big);
        try (TestServer server = TestServer.start(work, "--max-upload-size", "64K")) {
            Http http = server.http;

            assertError(http.postFile("/transcribe", "big.wav", big), 413);
            assertError(http.postRaw("/transcribe", big, Map.of("X-Filename", "big.wav")), 413);
            HttpResponse<String> chunked =
                    http.send(
                            http.request("/transcribe/json")
                                    .header("Content-Type", "application/octet-stream")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofInputStream(
                                                    () -> new ByteArrayInputStream(big)))
                                    .build());
            assertError(chunked, 413);
            assertError(http.postFile("/v1/audio/transcriptions", "big.wav", big), 413);
            try (Stream<Path> inputs = Files.list(work.resolve("inputs"));
                    Stream<Path> temp = Files.list(work.resolve("temp"))) {
                assertThat(inputs).isEmpty();
                assertThat(temp).isEmpty();
            }
        }
    }

    @Test
    void aHugeDeclaredLengthIsRefusedBeforeTheBodyIsSent() throws IOException {
        try (TestServer server = TestServer.start(work);
                Socket socket = new Socket("127.0.0.1", server.server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST /transcribe HTTP/1.1\r\n"
                                    + "Host: 127.0.0.1\r\n"
                                    + "Content-Type: application/octet-stream\r\n"
                                    + "Content-Length: 100000000000\r\n\r\n"
                                    + "RIFF")
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] head = in.readNBytes(12);

            assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 413");
        }
    }

    @Test
    void aBodyShorterThanItsDeclaredLengthIsTheClientsFault() throws IOException {
        try (TestServer server = TestServer.start(work);
                Socket socket = new Socket("127.0.0.1", server.server.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST /transcribe HTTP/1.1\r\n"
                                    + "Host: 127.0.0.1\r\n"
                                    + "Content-Type: application/octet-stream\r\n"
                                    + "X-Filename: short.wav\r\n"
                                    + "Content-Length: 5000\r\n\r\n"
                                    + "RIFF....WAVEfmt ")
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The client goes away before the rest of the body.
            socket.shutdownOutput();
            String answer =
                    new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(answer).contains("ended before its declared length");
        }
    }

    @Test
    void aClientOverTheRateLimitGets429WithRetryAfter() {
        try (TestServer server = TestServer.start(work, "--rate-limit", "2")) {
            Http http = server.http;
            byte[] noise = {1, 2, 3, 4};

            // refused as not audio, but each counts as a submission
            assertThat(http.postFile("/transcribe", "a.wav", noise).statusCode()).isEqualTo(415);
            assertThat(http.postFile("/transcribe", "a.wav", noise).statusCode()).isEqualTo(415);
            HttpResponse<String> third = http.postFile("/transcribe", "a.wav", noise);

            assertError(third, 429);
            long retryAfter =
                    Long.parseLong(third.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).isBetween(1L, 60L);
            assertThat(http.get("/health").statusCode()).isEqualTo(200);
            assertThat(http.get("/status/0123456789abcdef0123456789abcdef").statusCode())
                    .isEqualTo(404);
        }
    }

    @Test
    void aFullQueueAnswers503WithRetryAfter() throws IOException {
        // Five minutes cut every second: the pipeline is busy with it for seconds.
        byte[] longAudio = TestAudio.bytes(TestAudio.tone(audioDir, "long.m4a", 300));
        try (TestServer server =
                TestServer.start(work, "--max-concurrent", "1", "--queue-size", "0")) {
            Http http = server.http;

            HttpResponse<String> first =
                    http.postFile("/transcribe/async?segment_duration=1", "long.m4a", longAudio);
            HttpResponse<String> second =
                    http.postFile(
                            "/transcribe/async?segment_duration=1&no_cache=true",
                            "long.m4a",
                            longAudio);

            assertThat(first.statusCode()).isEqualTo(202);
            assertError(second, 503);
            assertThat(second.headers().firstValue("Retry-After")).isPresent();
            String id = JSON.readTree(first.body()).path("job_id").asText();
            assertThat(JSON.readTree(http.get("/status/" + id).body()).path("status").asText())
                    .isEqualTo("processing");
        }
    }

    @Test
    void aRefusedClientThatStopsSendingIsAnsweredWithinSeconds() throws IOException {
        try (TestServer server = TestServer.start(work, "--api-key", "s3cret-key");
                Socket socket = new Socket("127.0.0.1", server.server.port())) {
            socket.setSoTimeout(10_000); // the connection's idle timeout is 30 s
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST /transcribe HTTP/1.1\r\n"
                                    + "Host: 127.0.0.1\r\n"
                                    + "Authorization: Bearer guess\r\n"
                                    + "Content-Type: application/octet-stream\r\n"
                                    + "Content-Length: 100000\r\n\r\n"
                                    + "RIFF")
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();

            byte[] head = socket.getInputStream().readNBytes(12);

            assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 401");
            assertThat((System.nanoTime() - start) / 1e9).isLessThan(5.0);
        }
    }

    @Test
    void withAnApiKeyEveryRequestButHealthNeedsTheBearerToken() throws IOException {
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 2));
        try (TestServer server = TestServer.start(work, "--api-key", "s3cret-key")) {
            Http authorized = server.http;
            Http anonymous = authorized.withBearer(null);
            Http wrong = authorized.withBearer("guess");

            HttpResponse<String> missing = anonymous.postFile("/transcribe", "tone.wav", wav);
            assertError(missing, 401);
            assertThat(missing.headers().firstValue("WWW-Authenticate")).contains("Bearer");
            assertError(wrong.postFile("/v1/audio/transcriptions", "tone.wav", wav), 401);
            assertError(anonymous.get("/status/0123456789abcdef0123456789abcdef"), 401);
            assertThat(anonymous.get("/health").statusCode()).isEqualTo(200);

            HttpResponse<String> ok = authorized.postFile("/transcribe/json", "tone.wav", wav);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            String id = JSON.readTree(ok.body()).path("job_id").asText();
            assertError(anonymous.get("/jobs/" + id + "/result.txt"), 401);
            assertThat(authorized.get("/jobs/" + id + "/result.txt").statusCode()).isEqualTo(200);
        }
    }
}
