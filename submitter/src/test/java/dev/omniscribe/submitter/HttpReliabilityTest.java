package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP service under hostile and heavy traffic, over real sockets against a real {@link
 * TranscriptionServer} with the tiny model: a seeded fuzz run over every endpoint (no 5xx, every
 * request answered, nothing written outside the work folder) and a bounded load run (no errors,
 * {@code /health} answering throughout).
 */
class HttpReliabilityTest {

    private static final long SEED = 20_261_126L;
    private static final int FUZZ_REQUESTS = 300;
    private static final int LOAD_REQUESTS = 96;
    private static final int LOAD_CONCURRENCY = 8;

    @TempDir Path work;

    private static final String[] PATHS = {
        "/health",
        "/transcribe",
        "/transcribe/json",
        "/transcribe/srt",
        "/transcribe/async",
        "/v1/audio/transcriptions",
        "/status/%s",
        "/jobs/%s/result.txt",
        "/jobs/%s/result.json",
        "/jobs/%s/%s",
        "/",
        "/index.html",
        "/app.js",
        "/nope",
        "//transcribe",
        "/transcribe/",
        "/transcribe/../health",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/status/",
        "/jobs//result.txt",
    };

    private static final String[] METHODS = {
        "GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"
    };

    private static final String[] IDS = {
        "",
        "x",
        "..",
        "../../etc/passwd",
        "%2e%2e%2f%2e%2e",
        "00000000-0000-0000-0000-000000000000",
        "a".repeat(3000),
        "%00",
        "%ZZ",
        "会议",
        "result.txt%00.json",
        "'; DROP TABLE jobs;--",
    };

    private static final String[] QUERY_NAMES = {
        "segment_duration",
        "temperature",
        "max_new_tokens",
        "repetition_penalty",
        "prompt",
        "s2t",
        "no_cache",
        "filename",
        "response_format",
        "model",
        "language",
        "",
        "%ZZ",
    };

    private static final String[] QUERY_VALUES = {
        "",
        "-1",
        "0",
        "abc",
        "1e3",
        "NaN",
        "Infinity",
        "-Infinity",
        "99999999999999999999",
        "%00",
        "%ZZ",
        "true",
        "yes",
        "3",
        "0.0000001",
        "1e308",
        "会议",
        "..%2F..%2Fpwned.wav",
        "x".repeat(5000),
    };

    private static final String[] FILE_NAMES = {
        "a.wav",
        "",
        "../../pwned.wav",
        "..",
        "/etc/passwd",
        "C:\\\\Windows\\\\pwned.wav",
        "名字 with spaces.wav",
        "x".repeat(600) + ".wav",
        "nul\u0000byte.wav",
        ".hidden.wav",
        "a.wav.tmp",
    };

    private static final String[] CONTENT_TYPES = {
        null,
        "application/octet-stream",
        "audio/wav",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=zz",
        "application/json",
        "text/plain; charset=utf-32",
        "x/y/z",
        ";;;",
    };

    @Test
    void aSeededFuzzRunOverEveryEndpointGetsNoServerErrorAndEveryRequestIsAnswered()
            throws Exception {
        Path serveWork = Files.createDirectories(work.resolve("serve"));
        byte[] wav = TestAudio.bytes(TestAudio.tone(work, "clip.wav", 1.0));
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<String> serverErrors = new ArrayList<>();
        long start = System.nanoTime();
        long slowestMs = 0;
        try (TestServer server = TestServer.start(serveWork, "--max-upload-size", "1M")) {
            // A real job id, so that status and result lookups also hit existing records.
            HttpResponse<String> async = server.http.postFile("/transcribe/async", "a.wav", wav);
            assertThat(async.statusCode()).isEqualTo(202);
            String jobId = async.body().replaceAll(".*\"job_id\"\\s*:\\s*\"([^\"]+)\".*", "$1");
            Random random = new Random(SEED);
            for (int i = 0; i < FUZZ_REQUESTS; i++) {
                byte[] request = fuzzRequest(random, jobId, wav);
                long t0 = System.nanoTime();
                String statusLine = exchange(server.server.port(), request);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                slowestMs = Math.max(slowestMs, ms);
                int status = Integer.parseInt(statusLine.split(" ")[1]);
                statuses.merge(status, 1, Integer::sum);
                if (status >= 500) {
                    serverErrors.add(
                            status
                                    + " for "
                                    + new String(
                                                    request,
                                                    0,
                                                    Math.min(request.length, 400),
                                                    StandardCharsets.ISO_8859_1)
                                            .replace("\r\n", " | "));
                }
            }
            // Still healthy afterwards.
            assertThat(server.http.get("/health").statusCode()).isEqualTo(200);
        }
        System.out.printf(
                "http fuzz: %d requests (seed %d) in %.1f s, slowest %d ms, statuses %s%n",
                FUZZ_REQUESTS, SEED, (System.nanoTime() - start) / 1e9, slowestMs, statuses);
        assertThat(serverErrors).isEmpty();
        // Nothing a client named escaped the service's work folder (inside it, uploads keep
        // only the last part of their names).
        try (Stream<Path> s = Files.walk(work)) {
            assertThat(s.filter(p -> !p.startsWith(serveWork)).map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.startsWith("pwned"));
        }
        try (Stream<Path> s = Files.list(work.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.startsWith("pwned"));
        }
    }

    /** One request as raw bytes: method, path, query, headers and body chosen by {@code r}. */
    private static byte[] fuzzRequest(Random r, String jobId, byte[] wav) {
        String method = pick(r, METHODS);
        String path = pick(r, PATHS);
        path =
                path.replaceFirst("%s", quote(r.nextBoolean() ? jobId : pick(r, IDS)))
                        .replaceFirst("%s", quote(pick(r, IDS)));
        StringBuilder query = new StringBuilder();
        int params = r.nextInt(4);
        for (int i = 0; i < params; i++) {
            query.append(i == 0 ? '?' : '&')
                    .append(pick(r, QUERY_NAMES))
                    .append('=')
                    .append(pick(r, QUERY_VALUES));
        }
        if (r.nextInt(5) == 0) {
            query.append(query.length() == 0 ? "?" : "&").append("max_new_tokens=2");
        }
        List<String> headers = new ArrayList<>();
        headers.add("Host: 127.0.0.1");
        headers.add("Connection: close");
        String contentType = pick(r, CONTENT_TYPES);
        byte[] body = body(r, wav, contentType);
        if (body != null && contentType != null && contentType.startsWith("multipart")) {
            contentType = "multipart/form-data; boundary=" + BOUNDARY;
            if (r.nextInt(4) == 0) {
                contentType = "multipart/form-data; boundary=other";
            }
        }
        if (contentType != null) {
            headers.add("Content-Type: " + contentType);
        }
        switch (r.nextInt(8)) {
            case 0 -> headers.add("X-Filename: " + pick(r, FILE_NAMES).replace("\u0000", ""));
            case 1 -> headers.add("Authorization: Bearer " + pick(r, QUERY_VALUES));
            case 2 -> headers.add("Content-Disposition: attachment; filename=\"../pwned.wav\"");
            case 3 -> headers.add("Range: bytes=99999999-");
            case 4 -> headers.add("X-Forwarded-For: " + pick(r, QUERY_VALUES));
            case 5 -> headers.add("Accept: */*;q=" + pick(r, QUERY_VALUES));
            case 6 -> headers.add("X-Weird: " + "v".repeat(r.nextInt(6000)));
            default -> {}
        }
        int bodyLength = body == null ? 0 : body.length;
        switch (r.nextInt(7)) {
            case 0 -> headers.add("Content-Length: " + Math.max(0, bodyLength - 10));
            case 1 -> headers.add("Content-Length: " + pick(r, QUERY_VALUES).replace("\r", ""));
            case 2 -> headers.add("Content-Length: " + (1L << 40));
            // A body shorter than declared: the client sends less and goes away.
            case 3 -> headers.add("Content-Length: " + (bodyLength + 1000));
            default -> headers.add("Content-Length: " + bodyLength);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String head =
                method
                        + " "
                        + path.replace(" ", "%20")
                        + query.toString().replace(" ", "%20")
                        + " HTTP/1.1\r\n"
                        + String.join("\r\n", headers)
                        + "\r\n\r\n";
        out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        if (body != null) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    private static final String BOUNDARY = "fuzzBoundary";

    private static byte[] body(Random r, byte[] wav, String contentType) {
        switch (r.nextInt(7)) {
            case 0:
                return null;
            case 1:
                return new byte[0];
            case 2:
                {
                    byte[] noise = new byte[r.nextInt(4096) + 1];
                    r.nextBytes(noise);
                    return noise;
                }
            case 3:
                return Arrays.copyOf(wav, r.nextInt(wav.length));
            case 4:
                return wav;
            default:
                return multipart(r, wav);
        }
    }

    /** Multipart bodies, well formed or broken in one of several ways. */
    private static byte[] multipart(Random r, byte[] wav) {
        String field = r.nextInt(3) == 0 ? pick(r, QUERY_NAMES) : "file";
        String name = pick(r, FILE_NAMES).replace("\u0000", "%00");
        byte[] content = r.nextBoolean() ? wav : "not audio".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int flaw = r.nextInt(8);
        if (flaw != 1) {
            b.writeBytes(("--" + BOUNDARY + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        String disposition =
                flaw == 2
                        ? "Content-Disposition: form-data\r\n"
                        : "Content-Disposition: form-data; name=\""
                                + field
                                + "\"; filename=\""
                                + name
                                + "\"\r\n";
        b.writeBytes(disposition.getBytes(StandardCharsets.UTF_8));
        if (flaw != 3) {
            b.writeBytes("Content-Type: audio/wav\r\n\r\n".getBytes(StandardCharsets.UTF_8));
        }
        b.writeBytes(flaw == 4 ? Arrays.copyOf(content, content.length / 2) : content);
        if (flaw == 5) {
            return b.toByteArray(); // no closing boundary
        }
        b.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        if (flaw == 6) {
            b.writeBytes(
                    ("--"
                                    + BOUNDARY
                                    + "\r\nContent-Disposition: form-data; name=\"temperature\"\r\n\r\n"
                                    + pick(r, QUERY_VALUES)
                                    + "\r\n")
                            .getBytes(StandardCharsets.UTF_8));
        }
        b.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return b.toByteArray();
    }

    /**
     * Sends {@code request} and returns the response's status line. Fails if the server does not
     * answer within 60 s (a hang) or closes without a status line.
     */
    private static String exchange(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                // The server may answer and close before reading the whole body (413, 400).
            }
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            try {
                int c;
                while ((c = in.read()) >= 0 && c != '\n') {
                    line.write(c);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError(
                        "no answer within 60 s to "
                                + new String(
                                        request,
                                        0,
                                        Math.min(300, request.length),
                                        StandardCharsets.ISO_8859_1));
            }
            String status = line.toString(StandardCharsets.ISO_8859_1).strip();
            assertThat(status)
                    .as(
                            "a status line for %s",
                            new String(
                                    request,
                                    0,
                                    Math.min(300, request.length),
                                    StandardCharsets.ISO_8859_1))
                    .matches("HTTP/1\\.[01] \\d{3}.*");
            return status;
        }
    }

    private static String quote(String s) {
        return java.util.regex.Matcher.quoteReplacement(s);
    }

    private static String pick(Random r, String[] values) {
        return values[r.nextInt(values.length)];
    }

    @Test
    void aLoadRunOfTinyClipsHasNoErrorsAndHealthAnswersThroughout() throws Exception {
        Path serveWork = Files.createDirectories(work.resolve("serve"));
        List<byte[]> clips = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clips.add(TestAudio.bytes(TestAudio.tone(work, "clip" + i + ".wav", 1.0 + 0.25 * i)));
        }
        ConcurrentLinkedQueue<Long> healthMs = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Integer> healthStatuses = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> requestMs = new ConcurrentLinkedQueue<>();
        Map<Integer, Integer> statuses = new TreeMap<>();
        AtomicBoolean running = new AtomicBoolean(true);
        long start;
        double seconds;
        try (TestServer server = TestServer.start(serveWork)) {
            ExecutorService pool = Executors.newFixedThreadPool(LOAD_CONCURRENCY + 1);
            Future<?> prober =
                    pool.submit(
                            () -> {
                                while (running.get()) {
                                    long t0 = System.nanoTime();
                                    int status =
                                            server.http
                                                    .send(
                                                            server.http
                                                                    .request("/health")
                                                                    .timeout(
                                                                            java.time.Duration
                                                                                    .ofSeconds(30))
                                                                    .GET()
                                                                    .build())
                                                    .statusCode();
                                    healthMs.add((System.nanoTime() - t0) / 1_000_000);
                                    healthStatuses.add(status);
                                    sleep(100);
                                }
                                return null;
                            });
            // Each clip once, so that the cached requests of the run find their result.
            for (byte[] clip : clips) {
                assertThat(server.http.postFile("/transcribe", "clip.wav", clip).statusCode())
                        .isEqualTo(200);
            }
            start = System.nanoTime();
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < LOAD_REQUESTS; i++) {
                int n = i;
                results.add(
                        pool.submit(
                                () -> {
                                    byte[] clip = clips.get(n % clips.size());
                                    // One request in eight bypasses the cache.
                                    String path =
                                            n % 8 == 0
                                                    ? "/transcribe?no_cache=true"
                                                    : n % 2 == 0
                                                            ? "/transcribe/json"
                                                            : "/transcribe";
                                    long t0 = System.nanoTime();
                                    int status =
                                            server.http
                                                    .postFile(path, "clip.wav", clip)
                                                    .statusCode();
                                    requestMs.add((System.nanoTime() - t0) / 1_000_000);
                                    return status;
                                }));
                if (results.size() >= LOAD_CONCURRENCY) {
                    // Keep at most LOAD_CONCURRENCY requests in flight.
                    Integer s = results.remove(0).get(5, TimeUnit.MINUTES);
                    statuses.merge(s, 1, Integer::sum);
                }
            }
            for (Future<Integer> f : results) {
                statuses.merge(f.get(5, TimeUnit.MINUTES), 1, Integer::sum);
            }
            seconds = (System.nanoTime() - start) / 1e9;
            running.set(false);
            prober.get(1, TimeUnit.MINUTES);
            pool.shutdown();
        }
        List<Long> h = healthMs.stream().sorted().toList();
        List<Long> q = requestMs.stream().sorted().toList();
        System.out.printf(
                "http load: %d requests, concurrency %d, in %.1f s (%.1f/s); statuses %s;"
                        + " request ms p50 %d p95 %d max %d; /health %d probes, ms p50 %d p99 %d"
                        + " max %d, over 1 s: %d%n",
                LOAD_REQUESTS,
                LOAD_CONCURRENCY,
                seconds,
                LOAD_REQUESTS / seconds,
                statuses,
                q.get(q.size() / 2),
                q.get(q.size() * 95 / 100),
                q.get(q.size() - 1),
                h.size(),
                h.get(h.size() / 2),
                h.get(Math.min(h.size() - 1, h.size() * 99 / 100)),
                h.get(h.size() - 1),
                h.stream().filter(ms -> ms > 1000).count());
        assertThat(statuses).containsOnlyKeys(200);
        assertThat(healthStatuses).isNotEmpty().containsOnly(200);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
