package dev.omniscribe.udfs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How one file is transcribed: they travel with its records, so that files of one job (for example
 * concurrent uploads to the service's resident job) can each have their own.
 *
 * @param segmentation how its audio is cut
 * @param generation how each segment's text is generated
 * @param conversion OpenCC conversion of its text
 */
public record FileOptions(
        SegmentationSettings segmentation,
        GenerationOptions generation,
        ChineseConversion conversion)
        implements Serializable {

    public FileOptions {
        Objects.requireNonNull(segmentation, "segmentation");
        Objects.requireNonNull(generation, "generation");
        Objects.requireNonNull(conversion, "conversion");
    }

    /** The name of a folder's options file: its files are transcribed with these options. */
    public static final String FOLDER_FILE = "_options.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** These options as the JSON of a {@link #FOLDER_FILE}. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("segment_ms", segmentation.targetMs());
        o.put("vad", segmentation.speechDetection());
        o.put("channels", segmentation.channels().label());
        o.put("max_new_tokens", generation.maxNewTokens());
        o.put("temperature", generation.temperature());
        o.put("repetition_penalty", generation.repetitionPenalty());
        o.put("seed", generation.seed());
        o.put("system_prompt", generation.systemPrompt());
        o.put("prompt", generation.userPrompt());
        o.put("language", generation.language());
        o.put("context", generation.context());
        o.put("opencc", conversion.name().toLowerCase(Locale.ROOT));
        return o.toString();
    }

    /**
     * Options from the JSON of a {@link #FOLDER_FILE}.
     *
     * @throws IllegalArgumentException when it is not such JSON or an option is out of range
     */
    public static FileOptions fromJson(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            return new FileOptions(
                    new SegmentationSettings(
                            o.required("segment_ms").asLong(),
                            o.path("vad").asBoolean(true),
                            SegmentationSettings.Channels.parse(
                                    o.path("channels").asText("mixed"))),
                    new GenerationOptions(
                            o.required("max_new_tokens").asInt(),
                            o.required("temperature").asDouble(),
                            o.required("repetition_penalty").asDouble(),
                            o.path("seed").asLong(0),
                            text(o, "system_prompt"),
                            text(o, "prompt"),
                            text(o, "language"),
                            text(o, "context")),
                    ChineseConversion.parse(o.path("opencc").asText("none")));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an options file: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** The options written into the file's JSON transcript, so a reader knows how it was made. */
    public Map<String, Object> recorded() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("segment_duration", segmentation.targetMs() / 1000.0);
        o.put("vad", segmentation.speechDetection() ? "on" : "off");
        o.put("channels", segmentation.channels().label());
        o.put("max_new_tokens", generation.maxNewTokens());
        o.put("temperature", generation.temperature());
        o.put("repetition_penalty", generation.repetitionPenalty());
        o.put("seed", generation.seed());
        o.put("prompt", generation.userPrompt());
        o.put("system_prompt", generation.systemPrompt());
        o.put("language", generation.language());
        o.put("context", generation.context());
        o.put("opencc", conversion.name().toLowerCase(Locale.ROOT));
        return o;
    }
}
