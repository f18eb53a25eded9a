package dev.omniscribe.submitter.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.models.Languages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the pipeline's outputs for one input, {@code <output>/<name>.{txt,srt,vtt,json}}, into a
 * {@link Transcript}. The JSON (written last by the pipeline) gives duration, model and segments
 * (start and end in seconds); the text is the {@code .txt} file.
 */
public final class TranscriptReader {

    static final List<String> FORMATS = List.of("txt", "srt", "vtt", "json");

    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param model the model name to report when the JSON names none; may be null
     * @throws UncheckedIOException when the outputs are missing or unreadable
     */
    public Transcript read(Path outputDir, String fileName, String model) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String format : FORMATS) {
            Path p = outputDir.resolve(fileName + "." + format);
            if (Files.isRegularFile(p)) {
                files.put(format, p);
            }
        }
        if (!files.containsKey("json") || !files.containsKey("txt")) {
            throw new UncheckedIOException(
                    new IOException("the pipeline wrote no transcript for " + fileName));
        }
        try {
            JsonNode root = json.readTree(files.get("json").toFile());
            List<Transcript.Segment> segments = new ArrayList<>();
            for (JsonNode s : root.path("segments")) {
                segments.add(
                        new Transcript.Segment(
                                s.path("index").asInt(),
                                Math.round(s.path("start").asDouble() * 1000),
                                Math.round(s.path("end").asDouble() * 1000),
                                s.path("text").asText(""),
                                s.path("finish").asText("stop"),
                                s.path("channel").asInt(0)));
            }
            String name = root.path("model").isTextual() ? root.path("model").asText() : model;
            String text = Files.readString(files.get("txt")).strip();
            return new Transcript(
                    text,
                    root.path("duration").asDouble(0),
                    name,
                    List.copyOf(segments),
                    files,
                    root.path("language").asText(Languages.UNKNOWN));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the transcript of " + fileName, e);
        }
    }
}
