package dev.omniscribe.submitter.http;

import dev.omniscribe.submitter.TranscribeOptions;
import dev.omniscribe.submitter.jobs.Job;
import dev.omniscribe.submitter.jobs.Transcript;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/audio/transcriptions}, shaped like OpenAI's endpoint so that its clients and
 * tools built for whisper servers work unchanged.
 *
 * <p>Multipart fields: {@code file} (required), {@code model} (any value; this server has one
 * model), {@code language} (ISO 639-1: named in the model's instruction; {@code verbose_json}
 * reports it, or the language the model detects on the first segment, or {@code unknown}), {@code
 * prompt} (OpenAI's meaning: context for the transcription, such as earlier text, names and
 * spelling, given to the model before its transcription instruction, which stays), {@code
 * response_format} ({@code json} by default, {@code text}, {@code srt}, {@code verbose_json},
 * {@code vtt}) and {@code temperature} (OpenAI's 0 to 1). Extension: {@code instruction_override}
 * replaces the model's whole instruction. The server's other options ({@code segment_duration},
 * {@code s2t}, ...) work too.
 */
public final class OpenAiController {

    static final Set<String> RESPONSE_FORMATS =
            Set.of("json", "text", "srt", "verbose_json", "vtt");

    private final Intake intake;
    private final TranscribeOptions defaults;

    OpenAiController(Intake intake, TranscribeOptions defaults) {
        this.intake = intake;
        this.defaults = defaults;
    }

    public void transcriptions(Context ctx) {
        if (!ctx.isMultipartFormData()) {
            throw new io.javalin.http.HttpResponseException(
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE.getCode(),
                    "send multipart/form-data with the audio in field 'file'");
        }
        Intake.Accepted<Params> a = intake.accept(ctx, this::params, Params::options);
        ctx.future(() -> a.job().done().thenAccept(j -> respond(ctx, j, a.params())));
    }

    private Params params(Context ctx) {
        String format = RequestOptions.choice(ctx, "response_format", "json", RESPONSE_FORMATS);
        TranscribeOptions options = RequestOptions.parseOpenAi(ctx, defaults);
        return new Params(format, options);
    }

    private static void respond(Context ctx, Job job, Params params) {
        Job.Snapshot s = TranscribeController.finished(job);
        Transcript t = s.transcript();
        ctx.header("X-Job-Id", s.id());
        switch (params.format()) {
            case "json" -> ctx.json(Map.of("text", t.text()));
            case "text" -> ctx.contentType("text/plain; charset=utf-8").result(t.text());
            case "srt" -> ctx.contentType("text/plain; charset=utf-8").result(read(t, "srt"));
            case "vtt" -> ctx.contentType("text/plain; charset=utf-8").result(read(t, "vtt"));
            case "verbose_json" -> ctx.json(verbose(t, params));
            default -> throw new IllegalStateException("unchecked format " + params.format());
        }
    }

    private static Map<String, Object> verbose(Transcript t, Params params) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("task", "transcribe");
        body.put("language", t.language());
        body.put("duration", t.durationS());
        body.put("text", t.text());
        List<Map<String, Object>> segments =
                t.segments().stream()
                        .map(
                                seg -> {
                                    Map<String, Object> m = new LinkedHashMap<>();
                                    m.put("id", seg.index());
                                    m.put("seek", seg.startMs() / 10);
                                    m.put("start", seg.startMs() / 1000.0);
                                    m.put("end", seg.endMs() / 1000.0);
                                    m.put("text", seg.text());
                                    m.put("temperature", params.options().temperature());
                                    m.put("finish", seg.finish());
                                    return m;
                                })
                        .toList();
        body.put("segments", segments);
        return body;
    }

    private static String read(Transcript t, String format) {
        Path file = t.files().get(format);
        if (file == null) {
            throw ApiErrors.notFound("no " + format + " result");
        }
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + format + " result", e);
        }
    }

    private record Params(String format, TranscribeOptions options) {}
}
