package dev.omniscribe.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The exporter's tiny model and golden files ({@code models/tiny/}, layout in {@code
 * models/README.md}). Tests run with the module folder as working directory. A missing file fails
 * the test that needs it, with its path in the message.
 */
public final class Golden {

    public static final Path TINY = Path.of("..", "models", "tiny");
    public static final Path GOLDEN = TINY.resolve("golden");

    private static JsonNode json;

    private Golden() {}

    /** A file that must exist. */
    public static Path require(Path p) {
        if (!Files.exists(p)) {
            throw new AssertionError(
                    "missing test input "
                            + p.toAbsolutePath().normalize()
                            + " (written by models/export; see models/README.md)");
        }
        return p;
    }

    /** The tiny model folder of a kind: {@code fp32} or {@code int4}. */
    public static Path modelDir(String kind) {
        return require(TINY.resolve("onnx-" + kind));
    }

    public static synchronized JsonNode json() {
        if (json == null) {
            try {
                json = new ObjectMapper().readTree(require(GOLDEN.resolve("golden.json")).toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return json;
    }

    public static List<JsonNode> fixtures() {
        List<JsonNode> out = new ArrayList<>();
        json().get("fixtures").forEach(out::add);
        if (out.isEmpty()) {
            throw new AssertionError("golden.json lists no fixtures");
        }
        return out;
    }

    public static JsonNode fixture(String name) {
        for (JsonNode f : fixtures()) {
            if (f.get("name").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("golden.json has no fixture " + name);
    }

    /** A path inside the golden folder, from a golden.json field. */
    public static Path file(String relative) {
        return require(GOLDEN.resolve(relative));
    }

    /**
     * The goldens' own prompt as request options: their system message and instruction, the audio
     * first (golden.json {@code prompt}), whatever the model folder's default prompt is.
     */
    public static GenerationOptions withGoldenPrompt(GenerationOptions options) {
        JsonNode p = json().get("prompt");
        return options.withPrompts(
                p.get("system").asText(), GenerationOptions.AUDIO_MARKER + p.get("user").asText());
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
