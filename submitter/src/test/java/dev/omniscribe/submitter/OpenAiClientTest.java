package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.BadRequestException;
import com.openai.models.audio.AudioResponseFormat;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateResponse;
import com.openai.models.audio.transcriptions.TranscriptionVerbose;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/audio/transcriptions} through OpenAI's official Java client ({@code
 * com.openai:openai-java}), checking what the fields mean, not only that they are accepted: {@code
 * prompt} is context given to the model while its transcription instruction stays, {@code
 * instruction_override} replaces the instruction, {@code language} is named in the instruction and
 * reported, {@code temperature} takes OpenAI's 0 to 1. The job's recorded options and the same
 * request on the legacy endpoint (whose {@code context} and {@code prompt} say explicitly which is
 * which) show what reached the model.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTEXT = "Omniscribe, Qwen and Flink were discussed.";

    @TempDir static Path work;
    @TempDir static Path audioDir;

    private TestServer server;
    private OpenAIClient client;
    private Path clip;

    @BeforeAll
    void start() {
        server = TestServer.start(work);
        client =
                OpenAIOkHttpClient.builder()
                        .apiKey("not-checked")
                        .baseUrl("http://127.0.0.1:" + server.server.port() + "/v1")
                        .maxRetries(0)
                        .build();
        clip = TestAudio.tone(audioDir, "clip.wav", 3);
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private TranscriptionCreateParams.Builder params() {
        return TranscriptionCreateParams.builder()
                .file(clip)
                .model("whisper-1")
                .responseFormat(AudioResponseFormat.VERBOSE_JSON)
                .temperature(0.0);
    }

    /** The verbose answer and the JSON transcript of the job that made it. */
    private record Answer(TranscriptionVerbose verbose, JsonNode transcript) {}

    private Answer transcribe(TranscriptionCreateParams params) throws IOException {
        try (HttpResponseFor<TranscriptionCreateResponse> r =
                client.audio().transcriptions().withRawResponse().create(params)) {
            assertThat(r.statusCode()).isEqualTo(200);
            String job = r.headers().values("X-Job-Id").get(0);
            TranscriptionVerbose verbose = r.parse().asVerbose();
            var json = server.http.get("/jobs/" + job + "/result.json");
            assertThat(json.statusCode()).isEqualTo(200);
            return new Answer(verbose, JSON.readTree(json.body()));
        }
    }

    /** The text of the same audio from the legacy endpoint with {@code query} options. */
    private String legacyText(String query) throws IOException {
        var r =
                server.http.postFile(
                        "/transcribe/json?" + query, "clip.wav", TestAudio.bytes(clip));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        // the legacy endpoint reports the language it was given too
        assertThat(query).contains("language=" + body.path("language").asText() + "&");
        return body.path("transcription").asText();
    }

    private static String q(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    @Test
    void promptIsContextBeforeTheInstructionWhichStays() throws IOException {
        Answer a = transcribe(params().language("de").prompt(CONTEXT).build());

        assertThat(a.verbose().language()).isEqualTo("de");
        JsonNode options = a.transcript().path("options");
        assertThat(options.path("context").asText()).isEqualTo(CONTEXT);
        assertThat(options.path("prompt").isNull()).as("instruction not replaced").isTrue();
        assertThat(options.path("language").asText()).isEqualTo("de");
        assertThat(a.transcript().path("language").asText()).isEqualTo("de");
        // The model saw what the legacy endpoint gives with the same text as context, not what it
        // gives with it as the whole instruction.
        String asContext = legacyText("language=de&context=" + q(CONTEXT));
        String asInstruction = legacyText("language=de&prompt=" + q(CONTEXT));
        assertThat(a.verbose().text()).isEqualTo(asContext).isNotEqualTo(asInstruction);
        assertThat(a.verbose().segments().orElseThrow().get(0).text()).isEqualTo(asContext);
    }

    @Test
    void instructionOverrideReplacesTheWholeInstruction() throws IOException {
        String instruction = "Write down every word you hear.";
        Answer a =
                transcribe(
                        params().language("en")
                                .putAdditionalBodyProperty(
                                        "instruction_override", JsonValue.from(instruction))
                                .build());

        assertThat(a.transcript().path("options").path("prompt").asText()).isEqualTo(instruction);
        assertThat(a.verbose().text())
                .isEqualTo(legacyText("language=en&prompt=" + q(instruction)))
                .isNotEqualTo(legacyText("language=en&"));
    }

    @Test
    void withoutALanguageTheDetectedOneOrUnknownIsReported() throws IOException {
        Answer a = transcribe(params().build());
        // The tiny model's answer to the language question is no language code.
        assertThat(a.verbose().language()).isEqualTo("unknown");
        assertThat(a.transcript().path("options").path("language").isNull()).isTrue();
    }

    @Test
    void temperatureTakesOpenAisRangeAndALanguageMustBeACode() throws IOException {
        Answer warm = transcribe(params().temperature(1.0).language("en").build());
        assertThat(warm.transcript().path("options").path("temperature").asDouble()).isEqualTo(1.0);

        assertThatThrownBy(
                        () ->
                                client.audio()
                                        .transcriptions()
                                        .create(params().temperature(1.5).build()))
                .isInstanceOf(BadRequestException.class)
                .hasMessageContaining("temperature");
        assertThatThrownBy(
                        () ->
                                client.audio()
                                        .transcriptions()
                                        .create(params().language("german").build()))
                .isInstanceOf(BadRequestException.class)
                .hasMessageContaining("language")
                .hasMessageContaining("ISO 639-1");
    }
}
