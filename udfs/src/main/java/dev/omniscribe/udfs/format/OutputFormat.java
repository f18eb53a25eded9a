package dev.omniscribe.udfs.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.TranscriptSegment;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The transcript files written per input file. Each input {@code a/b/talk.mp3} gets {@code
 * a/b/talk.mp3.<extension>} in the output folder (the input's extension is kept so that {@code
 * talk.mp3} and {@code talk.wav} never collide).
 */
public enum OutputFormat {
    /** Plain text: one line per segment with text (a channel's lines start with its label). */
    TXT("txt"),
    /** SubRip subtitles: 1-based cues, {@code HH:MM:SS,mmm}. */
    SRT("srt"),
    /** WebVTT subtitles. */
    VTT("vtt"),
    /**
     * File, duration, model, options and segments with index, start, end (seconds), text, and
     * {@code channel} (from 1) when channels were transcribed apart.
     */
    JSON("json");

    private static final ObjectMapper JSON_MAPPER =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String extension;

    OutputFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    /**
     * Renders a successful transcript.
     *
     * @param t the transcript (not failed)
     * @param provenance what made it (model and options), written into the JSON
     */
    public String render(FileTranscript t, Provenance provenance) {
        return switch (this) {
            case TXT -> txt(t);
            case SRT -> srt(t);
            case VTT -> vtt(t);
            case JSON -> json(t, provenance.options(), provenance.modelSha256());
        };
    }

    /** Parses a comma-separated list such as {@code txt,srt,json}. */
    public static List<OutputFormat> parseList(String list) {
        List<OutputFormat> formats = new ArrayList<>();
        for (String part : list.split(",")) {
            String name = part.trim();
            if (name.isEmpty()) {
                continue;
            }
            try {
                OutputFormat f = valueOf(name.toUpperCase(Locale.ROOT));
                if (!formats.contains(f)) {
                    formats.add(f);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown output format '" + name + "'; use txt, srt, vtt, json");
            }
        }
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("at least one output format is required");
        }
        return formats;
    }

    static String txt(FileTranscript t) {
        StringBuilder sb = new StringBuilder();
        for (TranscriptSegment s : t.segments()) {
            if (!s.text().isBlank()) {
                sb.append(CueSplitter.label(s)).append(s.text().strip()).append('\n');
            }
        }
        return sb.toString();
    }

    static String srt(FileTranscript t) {
        StringBuilder sb = new StringBuilder();
        int n = 1;
        for (Cue c : CueSplitter.split(t.segments())) {
            sb.append(n++).append('\n');
            sb.append(Timestamps.srt(c.startMs()))
                    .append(" --> ")
                    .append(Timestamps.srt(c.endMs()))
                    .append('\n');
            sb.append(cueText(c.text())).append("\n\n");
        }
        return sb.toString();
    }

    static String vtt(FileTranscript t) {
        StringBuilder sb = new StringBuilder("WEBVTT\n\n");
        for (Cue c : CueSplitter.split(t.segments())) {
            sb.append(Timestamps.vtt(c.startMs()))
                    .append(" --> ")
                    .append(Timestamps.vtt(c.endMs()))
                    .append('\n');
            sb.append(vttEscape(cueText(c.text()))).append("\n\n");
        }
        return sb.toString();
    }

    /**
     * A cue's text as SRT and WebVTT can carry it: no blank line (it would end the cue), no {@code
     * -->} (it would read as a timing line; written {@code ->}).
     */
    static String cueText(String text) {
        StringBuilder sb = new StringBuilder();
        for (String line : text.replace("-->", "->").split("\r\n|\r|\n")) {
            if (!line.isBlank()) {
                sb.append(sb.isEmpty() ? "" : "\n").append(line.strip());
            }
        }
        return sb.toString();
    }

    /** WebVTT cue text: {@code &}, {@code <} and {@code >} as character references (the spec). */
    static String vttEscape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static String json(FileTranscript t, Map<String, Object> options, String modelSha256) {
        ObjectNode root = JSON_MAPPER.createObjectNode();
        root.put("file", t.relativePath());
        root.put("duration", Timestamps.seconds(t.durationMs()));
        root.put("model", t.model());
        root.put(Provenance.MODEL_SHA256, modelSha256);
        root.put("language", t.language());
        root.set(Provenance.OPTIONS, JSON_MAPPER.valueToTree(options));
        ArrayNode segments = root.putArray("segments");
        for (TranscriptSegment s : t.segments()) {
            ObjectNode o = segments.addObject();
            o.put("index", s.index());
            o.put("start", Timestamps.seconds(s.startMs()));
            o.put("end", Timestamps.seconds(s.endMs()));
            if (s.channel() > 0) {
                o.put("channel", s.channel());
            }
            o.put("text", s.text());
            o.put("finish", s.finish().json());
            if (s.retry() != null) {
                o.put("retry", s.retry().json());
            }
        }
        root.put("text", txt(t).strip());
        try {
            return JSON_MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
