package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every endpoint over real HTTP against one running service with the tiny model, real audio made by
 * the bundled ffmpeg, and the real pipeline.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpEndpointsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path work;
    @TempDir static Path audioDir;

    private TestServer server;
    private Http http;
    private byte[] wav;
    private byte[] m4a;
    private byte[] longWav;

    @BeforeAll
    void start() {
        server = TestServer.start(work);
        http = server.http;
        wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 3));
        m4a = TestAudio.bytes(TestAudio.tone(audioDir, "tone.m4a", 3));
        longWav = TestAudio.bytes(TestAudio.tone(audioDir, "long.wav", 40));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void healthAnswersWithModelStateAndNullGpuFiguresOnTheCpu() throws IOException {
        HttpResponse<String> r = http.get("/health");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("status").asText()).isEqualTo("ok");
        assertThat(body.has("model_loaded")).isTrue();
        assertThat(body.path("model_loaded").isBoolean()).isTrue();
        assertThat(body.has("gpu_memory_allocated_gb")).isTrue();
        assertThat(body.path("gpu_memory_allocated_gb").isNull()).isTrue();
        assertThat(body.path("gpu_memory_reserved_gb").isNull()).isTrue();
    }

    @Test
    void transcribeReturnsTheTranscriptAsATextAttachment() {
        HttpResponse<String> r = http.postFile("/transcribe", "tone.wav", wav);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(r.headers().firstValue("Content-Disposition").orElseThrow())
                .startsWith("attachment")
                .contains("filename=\"tone.txt\"");
        String jobId = r.headers().firstValue("X-Job-Id").orElseThrow();
        assertThat(r.body()).isEqualTo(http.get("/jobs/" + jobId + "/result.txt").body());
    }

    @Test
    void transcribeTakesTheRawBodyWithAFilenameHeader() throws IOException {
        HttpResponse<String> r =
                http.postRaw("/transcribe/json", m4a, Map.of("X-Filename", "meeting.m4a"));

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("file").asText()).isEqualTo("meeting.m4a");
        assertThat(body.path("output_file").asText()).isEqualTo("meeting.txt");
    }

    @Test
    void transcribeWithFormatSrtReturnsSubtitles() {
        HttpResponse<String> r = http.postFile("/transcribe?format=srt", "tone.wav", wav);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Disposition").orElseThrow())
                .contains("tone.srt");
    }

    @Test
    void transcribeJsonAnswersTheOldServicesShapeWithSegments() throws IOException {
        HttpResponse<String> r = http.postFile("/transcribe/json", "tone.wav", wav);

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("status").asText()).isEqualTo("success");
        assertThat(body.path("transcription").isTextual()).isTrue();
        assertThat(body.path("output_file").asText()).isEqualTo("tone.txt");
        assertThat(Instant.parse(body.path("timestamp").asText()))
                .isBefore(Instant.now().plusSeconds(1));
        assertThat(body.path("duration").asDouble()).isBetween(2.9, 3.1);
        JsonNode segments = body.path("segments");
        assertThat(segments.size()).isGreaterThanOrEqualTo(1);
        assertThat(segments.get(0).path("start").asDouble()).isEqualTo(0.0);
        assertThat(segments.get(segments.size() - 1).path("end").asDouble()).isBetween(2.9, 3.1);
        String txt = http.get("/jobs/" + body.path("job_id").asText() + "/result.txt").body();
        assertThat(body.path("transcription").asText()).isEqualTo(txt.strip());
    }

    @Test
    void transcribeSrtReturnsNumberedCuesWithTimestamps() {
        HttpResponse<String> r = http.postFile("/transcribe/srt", "tone.m4a", m4a);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow())
                .startsWith("application/x-subrip");
        assertThat(r.headers().firstValue("Content-Disposition").orElseThrow())
                .contains("tone.srt");
        String srt = r.body();
        if (!srt.isBlank()) {
            assertThat(srt)
                    .startsWith("1\n")
                    .containsPattern("\\d\\d:\\d\\d:\\d\\d,\\d{3} --> \\d\\d:\\d\\d:\\d\\d,\\d{3}");
        }
    }

    @Test
    void asyncJobRunsToCompletionAndServesEveryResultFormat() throws Exception {
        HttpResponse<String> accepted =
                http.postFile("/transcribe/async?no_cache=true", "tone.wav", wav);

        assertThat(accepted.statusCode()).isEqualTo(202);
        JsonNode a = JSON.readTree(accepted.body());
        assertThat(a.path("status").asText()).isEqualTo("accepted");
        String id = a.path("job_id").asText();
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(a.path("message").asText()).contains("/status/" + id);
        assertThat(accepted.headers().firstValue("Location")).contains("/status/" + id);

        JsonNode status = awaitFinished(id);
        assertThat(status.path("status").asText()).isEqualTo("completed");
        assertThat(status.path("progress").path("percent").asInt()).isEqualTo(100);
        assertThat(status.path("progress").path("segments_done").asInt())
                .isEqualTo(status.path("progress").path("segments_total").asInt())
                .isPositive();
        assertThat(status.path("created_at").asText()).isNotEmpty();
        assertThat(status.path("finished_at").asText()).isNotEmpty();

        Map<String, String> types =
                Map.of(
                        "txt", "text/plain",
                        "srt", "application/x-subrip",
                        "vtt", "text/vtt",
                        "json", "application/json");
        for (var e : types.entrySet()) {
            String link = status.path("results").path(e.getKey()).asText();
            assertThat(link).isEqualTo("/jobs/" + id + "/result." + e.getKey());
            HttpResponse<String> file = http.get(link);
            assertThat(file.statusCode()).as(link).isEqualTo(200);
            assertThat(file.headers().firstValue("Content-Type").orElseThrow())
                    .startsWith(e.getValue());
        }
        assertThat(http.get("/jobs/" + id + "/result.vtt").body()).startsWith("WEBVTT");
        JsonNode json = JSON.readTree(http.get("/jobs/" + id + "/result.json").body());
        assertThat(json.path("segments").isArray()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"json", "text", "srt", "verbose_json", "vtt"})
    void openAiEndpointAnswersEachResponseFormat(String format) throws IOException {
        HttpResponse<String> r =
                http.postFile(
                        "/v1/audio/transcriptions",
                        "file",
                        "clip.m4a",
                        m4a,
                        Map.of("model", "whisper-1", "response_format", format, "language", "en"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String text =
                JSON.readTree(http.postFile("/transcribe/json?language=en", "clip.m4a", m4a).body())
                        .path("transcription")
                        .asText();
        switch (format) {
            case "json" -> {
                JsonNode body = JSON.readTree(r.body());
                assertThat(body.path("text").asText()).isEqualTo(text);
            }
            case "text" -> assertThat(r.body()).isEqualTo(text);
            case "srt" -> assertThat(r.body().isEmpty() || r.body().startsWith("1\n")).isTrue();
            case "vtt" -> assertThat(r.body()).startsWith("WEBVTT");
            case "verbose_json" -> {
                JsonNode body = JSON.readTree(r.body());
                assertThat(body.path("task").asText()).isEqualTo("transcribe");
                assertThat(body.path("language").asText()).isEqualTo("en");
                assertThat(body.path("duration").asDouble()).isBetween(2.9, 3.1);
                assertThat(body.path("text").asText()).isEqualTo(text);
                JsonNode seg = body.path("segments").get(0);
                assertThat(seg.path("id").asInt()).isZero();
                assertThat(seg.path("start").asDouble()).isZero();
                assertThat(seg.has("end") && seg.has("text")).isTrue();
            }
            default -> throw new AssertionError(format);
        }
    }

    @Test
    void openAiEndpointRefusesAnUnknownResponseFormat() throws IOException {
        HttpResponse<String> r =
                http.postFile(
                        "/v1/audio/transcriptions",
                        "file",
                        "clip.m4a",
                        m4a,
                        Map.of("response_format", "docx"));

        assertError(r, 400);
        assertThat(JSON.readTree(r.body()).path("error").path("message").asText())
                .contains("response_format");
    }

    @Test
    void sameAudioAndOptionsComeFromTheCacheUnlessNoCache() throws IOException {
        JsonNode first =
                JSON.readTree(
                        http.postFile("/transcribe/json?segment_duration=7", "a.wav", wav).body());
        JsonNode second =
                JSON.readTree(
                        http.postFile("/transcribe/json?segment_duration=7", "b.wav", wav).body());
        JsonNode fresh =
                JSON.readTree(
                        http.postFile(
                                        "/transcribe/json?segment_duration=7&no_cache=true",
                                        "c.wav",
                                        wav)
                                .body());

        assertThat(second.path("cached").asBoolean()).isTrue();
        assertThat(second.path("job_id").asText()).isNotEqualTo(first.path("job_id").asText());
        assertThat(second.path("transcription").asText())
                .isEqualTo(first.path("transcription").asText());
        assertThat(second.path("file").asText()).isEqualTo("b.wav");
        assertThat(fresh.path("cached").asBoolean()).isFalse();
        assertThat(fresh.path("transcription").asText())
                .isEqualTo(first.path("transcription").asText());
    }

    @Test
    void randomBytesAreRefusedAsUnsupportedMedia() throws IOException {
        byte[] noise = new byte[20_000];
        new Random(7).nextBytes(noise);

        HttpResponse<String> r = http.postFile("/transcribe", "song.mp3", noise);

        assertError(r, 415);
        assertThat(JSON.readTree(r.body()).path("error").path("message").asText())
                .contains("not audio");
    }

    @Test
    void aTextFileNamedMp3IsRefusedByContent() {
        byte[] text = "just some words, not audio\n".repeat(50).getBytes(StandardCharsets.UTF_8);

        assertError(http.postFile("/transcribe/json", "notes.mp3", text), 415);
    }

    @Test
    void aTruncatedContainerIsRefusedAsUnsupportedMedia() {
        byte[] cut = java.util.Arrays.copyOf(m4a, 2_000);

        assertError(http.postFile("/transcribe/json", "cut.m4a", cut), 415);
    }

    @Test
    void aWavCutShortIsTranscribedUpToWhereItEnds() throws IOException {
        byte[] cut = java.util.Arrays.copyOf(wav, wav.length / 2);

        HttpResponse<String> r = http.postFile("/transcribe/json", "cut.wav", cut);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("duration").asDouble()).isBetween(1.0, 2.0);
    }

    @Test
    void anEmptyBodyIsABadRequest() {
        assertError(http.postRaw("/transcribe", new byte[0], Map.of()), 400);
        assertError(http.postFile("/transcribe", "empty.wav", new byte[0]), 400);
    }

    @Test
    void aMultipartRequestWithoutTheFileFieldIsABadRequestNamingTheField() throws IOException {
        HttpResponse<String> r =
                http.postFile("/transcribe/json", "audio", "tone.wav", wav, Map.of());

        assertError(r, 400);
        assertThat(JSON.readTree(r.body()).path("error").path("message").asText())
                .contains("'file'")
                .contains("audio");
    }

    @Test
    void aRequestTurnsSpeechDetectionOnAndSplitsChannels() throws IOException {
        // A call: espeak-ng speech on the left at 1 s, on the right at 5 s, silence elsewhere.
        float[] hello =
                dev.omniscribe.pipeline.SpeechCorpus.synthesize(
                        "en-us", "Good morning, thank you.");
        var call = new dev.omniscribe.pipeline.SpeechCorpus.Track(2, 9);
        call.add(0, hello, 16_000);
        call.add(1, hello, 5 * 16_000);
        Path file = audioDir.resolve("call.wav");
        call.write(file);
        byte[] audio = Files.readAllBytes(file);

        HttpResponse<String> split =
                http.postFile("/transcribe/json?vad=on&channels=split", "call.wav", audio);
        HttpResponse<String> srt =
                http.postFile("/transcribe?format=srt&vad=on&channels=split", "call.wav", audio);
        HttpResponse<String> bad = http.postFile("/transcribe/json?vad=maybe", "tone.wav", wav);

        assertThat(split.statusCode()).isEqualTo(200);
        JsonNode segments = JSON.readTree(split.body()).path("segments");
        assertThat(segments).hasSize(2);
        assertThat(segments.get(0).path("channel").asInt()).isEqualTo(1);
        assertThat(segments.get(0).path("start").asDouble()).isBetween(0.8, 1.4);
        assertThat(segments.get(1).path("channel").asInt()).isEqualTo(2);
        assertThat(segments.get(1).path("start").asDouble()).isBetween(4.8, 5.4);
        assertThat(srt.body()).contains("[ch1] ").contains("[ch2] ");
        // With vad=off (the server's default here) the same call is cut as a whole.
        HttpResponse<String> whole = http.postFile("/transcribe/json", "call.wav", audio);
        JsonNode wholeSegments = JSON.readTree(whole.body()).path("segments");
        assertThat(wholeSegments.get(0).path("start").asDouble()).isZero();
        assertThat(wholeSegments.get(0).has("channel")).isFalse();
        assertError(bad, 400);
        assertThat(JSON.readTree(bad.body()).path("error").path("message").asText())
                .contains("vad");
    }

    @Test
    void invalidOptionsAreBadRequestsNamingTheOption() throws IOException {
        HttpResponse<String> tooLong =
                http.postFile("/transcribe/json?segment_duration=301", "tone.wav", wav);
        HttpResponse<String> notANumber =
                http.postFile(
                        "/transcribe/json", "file", "tone.wav", wav, Map.of("temperature", "warm"));

        assertError(tooLong, 400);
        assertThat(JSON.readTree(tooLong.body()).path("error").path("message").asText())
                .contains("segment_duration");
        assertError(notANumber, 400);
        assertThat(JSON.readTree(notANumber.body()).path("error").path("message").asText())
                .contains("temperature");
    }

    @Test
    void traversalInTheFileNameNeverLeavesTheWorkFolder() throws IOException {
        HttpResponse<String> r = http.postFile("/transcribe/json", "../../../escape.wav", wav);
        HttpResponse<String> raw =
                http.postRaw(
                        "/transcribe/json?no_cache=true",
                        wav,
                        Map.of("X-Filename", "..\\..\\windows\\escape2.wav"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("file").asText()).isEqualTo("escape.wav");
        assertThat(JSON.readTree(raw.body()).path("file").asText()).isEqualTo("escape2.wav");
        for (Path dir : List.of(work.resolve("inputs/x"), work.resolve("outputs/x"), work)) {
            assertThat(dir.resolve("../../../escape.wav").normalize()).doesNotExist();
            assertThat(dir.resolve("../../escape.wav").normalize()).doesNotExist();
        }
        try (Stream<Path> files = Files.walk(work)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("escape")))
                    .isNotEmpty()
                    .allMatch(p -> p.getParent().getParent().getParent().equals(work));
        }
    }

    @Test
    void traversalOrGuessesInJobIdsFindNothing() {
        List<String> paths =
                List.of(
                        "/status/..%2F..%2Fetc%2Fpasswd",
                        "/status/../../etc/passwd",
                        "/status/0123456789abcdef0123456789abcdef",
                        "/status/not-a-job",
                        "/jobs/..%2Finputs/result.txt",
                        "/jobs/0123456789abcdef0123456789abcdef/result.txt",
                        "/jobs/0123456789abcdef0123456789abcdef/..%2F..%2Fjob.json");
        for (String p : paths) {
            HttpResponse<String> r = http.get(p);
            assertThat(r.statusCode()).as(p).isBetween(400, 499);
            assertThat(r.body()).as(p).doesNotContain("Exception").doesNotContain(" at ");
        }
    }

    @Test
    void aResultNameOtherThanTheFourFormatsIsNotFound() throws IOException {
        String id =
                JSON.readTree(http.postFile("/transcribe/json", "tone.wav", wav).body())
                        .path("job_id")
                        .asText();

        assertError(http.get("/jobs/" + id + "/job.json"), 404);
        assertError(http.get("/jobs/" + id + "/result.exe"), 404);
        assertThat(http.get("/jobs/" + id + "/result.txt").statusCode()).isEqualTo(200);
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() {
        for (HttpResponse<String> r :
                List.of(
                        http.get("/health"),
                        http.get("/no/such/route"),
                        http.postFile("/transcribe", "x.mp3", new byte[] {1, 2, 3}))) {
            assertThat(r.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
            assertThat(r.headers().firstValue("X-Frame-Options")).contains("DENY");
            assertThat(r.headers().firstValue("Content-Security-Policy")).isPresent();
            assertThat(r.headers().firstValue("Referrer-Policy")).contains("no-referrer");
            assertThat(r.headers().firstValue("Server")).isEmpty();
        }
    }

    @Test
    void unknownRoutesAnswerInTheSharedErrorShape() {
        assertError(http.get("/no/such/route"), 404);
    }

    @Test
    void healthStaysFastWhileAJobRunsAndSeveralRequestsQueue() throws Exception {
        HttpResponse<String> accepted =
                http.postFile("/transcribe/async?no_cache=true", "long.wav", longWav);
        assertThat(accepted.statusCode()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).path("job_id").asText();
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String name = "queued" + i + ".wav";
            waiting.add(
                    CompletableFuture.supplyAsync(
                            () -> http.postFile("/transcribe/json?no_cache=true", name, wav)));
        }

        List<Long> latenciesMs = new ArrayList<>();
        boolean sawUnfinished = false;
        while (!JSON.readTree(http.get("/status/" + id).body())
                .path("status")
                .asText()
                .equals("completed")) {
            long t0 = System.nanoTime();
            HttpResponse<String> health = http.get("/health");
            latenciesMs.add((System.nanoTime() - t0) / 1_000_000);
            assertThat(health.statusCode()).isEqualTo(200);
            sawUnfinished |= JSON.readTree(health.body()).path("jobs_unfinished").asInt() > 0;
            Thread.sleep(100);
        }

        assertThat(sawUnfinished).isTrue();
        assertThat(latenciesMs).isNotEmpty();
        assertThat(latenciesMs.stream().mapToLong(Long::longValue).max().orElseThrow())
                .as("slowest /health while a job ran, ms")
                .isLessThan(1_000);
        for (var w : waiting) {
            assertThat(w.get().statusCode()).isEqualTo(200);
        }
        JsonNode done = JSON.readTree(http.get("/status/" + id).body());
        assertThat(done.path("progress").path("segments_total").asInt()).isGreaterThanOrEqualTo(4);
    }

    private JsonNode awaitFinished(String id) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (Instant.now().isBefore(deadline)) {
            JsonNode s = JSON.readTree(http.get("/status/" + id).body());
            if (!s.path("status").asText().equals("processing")) {
                return s;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job " + id + " did not finish in time");
    }

    static void assertError(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow())
                .startsWith("application/json");
        try {
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.path("status").asText()).isEqualTo("error");
            assertThat(body.path("error").path("message").asText()).isNotBlank();
            assertThat(body.path("error").path("code").asText()).isNotBlank();
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
