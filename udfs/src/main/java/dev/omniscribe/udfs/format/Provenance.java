package dev.omniscribe.udfs.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.FileOptions;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * What makes a transcript's text: the model (the SHA-256 of its folder's {@code model.json}, which
 * names its graphs, weights and tokens) and the options that change text ({@link
 * FileOptions#recorded()}: segmentation, generation, prompts, Chinese script). The JSON output
 * records both ({@code model_sha256}, {@code options}); a rerun skips an input only when they match
 * ({@link OutputLayout#check}).
 *
 * @param modelSha256 lowercase hex SHA-256 of {@code model.json}
 * @param options the recorded options, as {@link FileOptions#recorded()} gives them
 */
public record Provenance(String modelSha256, Map<String, Object> options) implements Serializable {

    /** The JSON output's field with {@link #modelSha256()}. */
    public static final String MODEL_SHA256 = "model_sha256";

    /** The JSON output's field with {@link #options()}. */
    public static final String OPTIONS = "options";

    private static final ObjectMapper JSON = new ObjectMapper();

    public Provenance {
        Objects.requireNonNull(modelSha256, "modelSha256");
        // Null values (no prompt given) are recorded as null.
        options = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(options));
    }

    /**
     * The provenance of files transcribed with the model in {@code modelDir} and {@code options}.
     */
    public static Provenance of(String modelDir, FileOptions options) {
        return new Provenance(modelSha256(modelDir), options.recorded());
    }

    /**
     * The SHA-256 of {@code <modelDir>/model.json}, lowercase hex.
     *
     * @throws UncheckedIOException when it cannot be read
     */
    public static String modelSha256(String modelDir) {
        Path file = Path.of(modelDir, "model.json");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
            return HexFormat.of().formatHex(digest);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** Why an existing output must be made again, or that it need not. */
    public enum Verdict {
        /** Made by this model with these options: a rerun skips it. */
        SAME,
        /** Made by another model, or by a version that did not record its model. */
        OTHER_MODEL,
        /** Made by this model with other options. */
        OTHER_OPTIONS
    }

    /** How the JSON output {@code recorded} compares with this provenance. */
    public Verdict compare(JsonNode recorded) {
        if (!modelSha256.equals(recorded.path(MODEL_SHA256).asText(null))) {
            return Verdict.OTHER_MODEL;
        }
        return normalized(options).equals(recorded.path(OPTIONS))
                ? Verdict.SAME
                : Verdict.OTHER_OPTIONS;
    }

    // The options as they read back from a written file (numbers as the parser types them).
    private static JsonNode normalized(Map<String, Object> options) {
        try {
            return JSON.readTree(JSON.writeValueAsString(options));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
