package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.submitter.http.GpuMemoryMonitor;
import dev.omniscribe.submitter.http.HttpApp;
import dev.omniscribe.submitter.jobs.WorkDir;
import dev.omniscribe.submitter.upload.MediaProbe;
import dev.omniscribe.udfs.audio.FfmpegBinaries;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.javalin.router.ParsedEndpoint;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed OpenAPI description ({@code /openapi.json}): it parses, it describes exactly the
 * routes the server registers, the server's real answers fit it, and its OpenAI endpoint has
 * OpenAI's published shapes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiDescriptionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> OPERATIONS = Set.of("get", "post", "put", "patch", "delete");

    @TempDir static Path work;
    @TempDir static Path audioDir;

    private TestServer server;
    private JsonNode doc;
    private String served;

    @BeforeAll
    void start() throws Exception {
        server = TestServer.start(work);
        HttpResponse<String> r = server.http.get("/openapi.json");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow())
                .startsWith("application/json");
        served = r.body();
        doc = JSON.readTree(served);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void servesTheCommittedFile() throws Exception {
        assertThat(served)
                .isEqualTo(Files.readString(Path.of("src", "main", "resources", "openapi.json")));
    }

    @Test
    void parsesAsOpenApi31WithoutMessages() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(served, null, options);

        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI()).isNotNull();
        assertThat(result.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
        assertThat(result.getOpenAPI().getPaths()).containsKey("/v1/audio/transcriptions");
    }

    @Test
    void describesExactlyTheRoutesTheServerRegisters() {
        Set<String> registered = new TreeSet<>();
        // The app as the server builds it, over the running server's service (never started).
        WorkDir workDir = new WorkDir(work);
        MediaProbe probe = new MediaProbe(FfmpegBinaries.resolve(null).ffprobe());
        try (GpuMemoryMonitor gpu = new GpuMemoryMonitor(List::of)) {
            Javalin app =
                    HttpApp.create(server.config, server.server.service(), probe, workDir, gpu);
            for (ParsedEndpoint e : app.unsafe.internalRouter.allHttpHandlers()) {
                HandlerType method = e.endpoint.method;
                if (OPERATIONS.contains(method.name().toLowerCase(Locale.ROOT))) {
                    registered.add(method.name() + " " + e.endpoint.path);
                }
            }
        }
        Set<String> described = new TreeSet<>();
        doc.path("paths")
                .fields()
                .forEachRemaining(
                        p ->
                                p.getValue()
                                        .fieldNames()
                                        .forEachRemaining(
                                                m -> {
                                                    if (OPERATIONS.contains(m)) {
                                                        described.add(
                                                                m.toUpperCase(Locale.ROOT)
                                                                        + " "
                                                                        + p.getKey());
                                                    }
                                                }));

        assertThat(registered).hasSizeGreaterThanOrEqualTo(13);
        assertThat(described).isEqualTo(registered);
    }

    @Test
    void openAiTranscriptionFieldsHaveOpenAisPublishedShapes() {
        // OpenAI's createTranscription form fields as published (name -> JSON type, enum).
        Map<String, String> openAiTypes =
                Map.of(
                        "file", "string",
                        "model", "string",
                        "language", "string",
                        "prompt", "string",
                        "response_format", "string",
                        "temperature", "number",
                        "timestamp_granularities[]", "array");
        JsonNode request = schema("CreateTranscriptionRequest");
        Iterator<Map.Entry<String, JsonNode>> fields = request.path("properties").fields();
        List<String> names = new ArrayList<>();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            names.add(f.getKey());
            if (f.getKey().equals("instruction_override")) {
                // this server's one extension field: the whole instruction (prompt is context)
                assertThat(f.getValue().path("description").asText()).startsWith("Extension");
                continue;
            }
            assertThat(openAiTypes).containsKey(f.getKey());
            assertThat(f.getValue().path("type").asText())
                    .as(f.getKey())
                    .isEqualTo(openAiTypes.get(f.getKey()));
        }
        assertThat(names)
                .contains("file", "model", "language", "prompt", "response_format", "temperature");
        assertThat(texts(request.path("required"))).containsExactlyInAnyOrder("file", "model");
        assertThat(texts(request.path("properties").path("response_format").path("enum")))
                .containsExactlyInAnyOrder("json", "text", "srt", "verbose_json", "vtt");

        // OpenAI's required response fields.
        assertThat(texts(schema("CreateTranscriptionResponseJson").path("required")))
                .containsExactly("text");
        assertThat(texts(schema("CreateTranscriptionResponseVerboseJson").path("required")))
                .containsExactlyInAnyOrder("language", "duration", "text");
        assertThat(texts(schema("Model").path("required")))
                .containsExactlyInAnyOrder("id", "object", "created", "owned_by");
        assertThat(texts(schema("ListModelsResponse").path("required")))
                .containsExactlyInAnyOrder("object", "data");
        assertThat(texts(schema("Error").path("properties").path("error").path("required")))
                .contains("message", "type", "param", "code");
    }

    @Test
    void realAnswersFitTheirDescribedSchemas() throws Exception {
        byte[] wav = TestAudio.bytes(TestAudio.tone(audioDir, "tone.wav", 3));
        Http http = server.http;

        HttpResponse<String> json =
                http.postFile(
                        "/v1/audio/transcriptions",
                        "file",
                        "tone.wav",
                        wav,
                        Map.of("model", "whisper-1", "response_format", "json"));
        assertThat(json.statusCode()).isEqualTo(200);
        fits(json.body(), "CreateTranscriptionResponseJson");

        HttpResponse<String> verbose =
                http.postFile(
                        "/v1/audio/transcriptions",
                        "file",
                        "tone.wav",
                        wav,
                        Map.of("model", "whisper-1", "response_format", "verbose_json"));
        assertThat(verbose.statusCode()).isEqualTo(200);
        fits(verbose.body(), "CreateTranscriptionResponseVerboseJson");
        assertThat(JSON.readTree(verbose.body()).path("segments").size()).isPositive();

        HttpResponse<String> models = http.get("/v1/models");
        assertThat(models.statusCode()).isEqualTo(200);
        fits(models.body(), "ListModelsResponse");
        JsonNode model = JSON.readTree(models.body()).path("data").get(0);
        assertThat(model.path("id").asText()).isEqualTo(server.server.service().modelName());
        assertThat(model.path("created").asLong())
                .isEqualTo(
                        Files.getLastModifiedTime(TestServer.TINY_MODEL.resolve("model.json"))
                                .toInstant()
                                .getEpochSecond());

        HttpResponse<String> result = http.postFile("/transcribe/json", "tone.wav", wav);
        assertThat(result.statusCode()).isEqualTo(200);
        fits(result.body(), "TranscriptionResult");
        String jobId = JSON.readTree(result.body()).path("job_id").asText();
        fits(http.get("/status/" + jobId).body(), "JobStatus");
        fits(http.get("/jobs/" + jobId + "/result.json").body(), "TranscriptFile");
        fits(http.get("/health").body(), "Health");

        HttpResponse<String> async = http.postFile("/transcribe/async", "tone.wav", wav);
        assertThat(async.statusCode()).isEqualTo(202);
        fits(async.body(), "Accepted");

        HttpResponse<String> bad =
                http.postFile(
                        "/v1/audio/transcriptions",
                        "file",
                        "tone.wav",
                        wav,
                        Map.of("model", "whisper-1", "response_format", "mp3"));
        assertThat(bad.statusCode()).isEqualTo(400);
        fits(bad.body(), "Error");
        assertThat(JSON.readTree(bad.body()).path("error").path("param").asText())
                .isEqualTo("response_format");

        HttpResponse<String> missing = http.get("/status/0123456789abcdef0123456789abcdef");
        assertThat(missing.statusCode()).isEqualTo(404);
        fits(missing.body(), "Error");
        assertThat(JSON.readTree(missing.body()).path("error").path("param").isNull()).isTrue();
    }

    private JsonNode schema(String name) {
        JsonNode s = doc.path("components").path("schemas").path(name);
        assertThat(s.isObject()).as("schema " + name + " is described").isTrue();
        return s;
    }

    private void fits(String body, String schemaName) throws Exception {
        List<String> problems = new ArrayList<>();
        check(JSON.readTree(body), schema(schemaName), schemaName, problems);
        assertThat(problems).as("%s against %s", body, schemaName).isEmpty();
    }

    /**
     * The parts of JSON Schema the description uses: $ref, oneOf, type (one or a list), const,
     * enum, required, properties, items, additionalProperties.
     */
    private void check(JsonNode value, JsonNode schema, String at, List<String> problems) {
        if (schema.has("$ref")) {
            String ref = schema.path("$ref").asText();
            check(value, schema(ref.substring(ref.lastIndexOf('/') + 1)), at, problems);
            return;
        }
        if (schema.has("oneOf")) {
            int fitting = 0;
            for (JsonNode option : schema.path("oneOf")) {
                List<String> p = new ArrayList<>();
                check(value, option, at, p);
                fitting += p.isEmpty() ? 1 : 0;
            }
            if (fitting == 0) {
                problems.add(at + ": fits none of oneOf");
            }
            return;
        }
        if (schema.has("const") && !schema.path("const").equals(value)) {
            problems.add(at + ": expected " + schema.path("const") + ", got " + value);
        }
        if (schema.has("enum") && !texts(schema.path("enum")).contains(value.asText())) {
            problems.add(at + ": " + value + " is not one of " + schema.path("enum"));
        }
        if (schema.has("type")) {
            List<String> types =
                    schema.path("type").isArray()
                            ? texts(schema.path("type"))
                            : List.of(schema.path("type").asText());
            if (types.stream().noneMatch(t -> isType(value, t))) {
                problems.add(at + ": " + value.getNodeType() + " is not " + types);
                return;
            }
        }
        if (value.isObject()) {
            for (String required : texts(schema.path("required"))) {
                if (!value.has(required)) {
                    problems.add(at + ": missing " + required);
                }
            }
            schema.path("properties")
                    .fields()
                    .forEachRemaining(
                            p -> {
                                if (value.has(p.getKey())) {
                                    check(
                                            value.get(p.getKey()),
                                            p.getValue(),
                                            at + "." + p.getKey(),
                                            problems);
                                }
                            });
            if (schema.has("additionalProperties")) {
                value.fields()
                        .forEachRemaining(
                                f ->
                                        check(
                                                f.getValue(),
                                                schema.path("additionalProperties"),
                                                at + "." + f.getKey(),
                                                problems));
            }
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                check(value.get(i), schema.path("items"), at + "[" + i + "]", problems);
            }
        }
    }

    private static boolean isType(JsonNode v, String type) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> false;
        };
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
