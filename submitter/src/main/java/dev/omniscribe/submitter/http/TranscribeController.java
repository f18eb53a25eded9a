package dev.omniscribe.submitter.http;

import dev.omniscribe.submitter.TranscribeOptions;
import dev.omniscribe.submitter.jobs.Job;
import dev.omniscribe.submitter.jobs.JobState;
import dev.omniscribe.submitter.jobs.Transcript;
import dev.omniscribe.submitter.jobs.TranscriptionService;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The old service's endpoints: {@code POST /transcribe}, {@code /transcribe/json}, {@code
 * /transcribe/srt}, {@code /transcribe/async}, {@code GET /status/{job_id}} and the result files
 * {@code GET /jobs/{job_id}/result.{txt,srt,vtt,json}}.
 *
 * <p>Synchronous endpoints wait for the job without holding a server thread ({@link
 * Context#future}), so waiting requests never starve {@code /health}.
 */
public final class TranscribeController {

    /** Result formats, by file extension. */
    static final Map<String, String> FORMATS =
            Map.of(
                    "txt", "text/plain; charset=utf-8",
                    "srt", "application/x-subrip; charset=utf-8",
                    "vtt", "text/vtt; charset=utf-8",
                    "json", "application/json; charset=utf-8");

    private final Intake intake;
    private final TranscriptionService service;
    private final TranscribeOptions defaults;

    TranscribeController(Intake intake, TranscriptionService service, TranscribeOptions defaults) {
        this.intake = intake;
        this.service = service;
        this.defaults = defaults;
    }

    /**
     * {@code POST /transcribe}: the transcript as an attachment ({@code format}: txt by default).
     */
    public void transcribe(Context ctx) {
        Intake.Accepted<FormatAndOptions> a =
                intake.accept(ctx, this::formatAndOptions, FormatAndOptions::options);
        String format = a.params().format();
        ctx.future(() -> a.job().done().thenAccept(j -> sendFile(ctx, finished(j), format, true)));
    }

    /** {@code POST /transcribe/srt}: the SRT subtitles as an attachment. */
    public void transcribeSrt(Context ctx) {
        Job job = intake.accept(ctx, this::options, o -> o).job();
        ctx.future(() -> job.done().thenAccept(j -> sendFile(ctx, finished(j), "srt", true)));
    }

    /**
     * {@code POST /transcribe/json}: {@code {status, transcription, output_file, timestamp}} plus
     * job id, duration, model and segments.
     */
    public void transcribeJson(Context ctx) {
        Job job = intake.accept(ctx, this::options, o -> o).job();
        ctx.future(() -> job.done().thenAccept(j -> ctx.json(resultBody(finished(j)))));
    }

    /** {@code POST /transcribe/async}: 202 with the job id at once. */
    public void transcribeAsync(Context ctx) {
        Job job = intake.accept(ctx, this::options, o -> o).job();
        String statusUrl = "/status/" + job.id();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "accepted");
        body.put("job_id", job.id());
        body.put("message", "Use " + statusUrl + " to check progress.");
        body.put("status_url", statusUrl);
        ctx.status(HttpStatus.ACCEPTED).header("Location", statusUrl).json(body);
    }

    /**
     * {@code GET /jobs}: every job the service keeps, newest first, as {@code /status} shows them.
     */
    public void list(Context ctx) {
        List<Map<String, Object>> all = new ArrayList<>();
        for (Job.Snapshot s : service.list()) {
            all.add(statusBody(s));
        }
        ctx.json(Map.of("jobs", all));
    }

    /**
     * {@code DELETE /jobs/{job_id}}: cancels a job that has not finished (its status then says
     * {@code cancelled}); 409 for a finished one.
     */
    public void cancel(Context ctx) {
        Job job = job(ctx);
        if (!service.cancel(job)) {
            throw new io.javalin.http.HttpResponseException(
                    HttpStatus.CONFLICT.getCode(),
                    "job is already " + job.snapshot().state().publicName());
        }
        ctx.json(statusBody(job.snapshot()));
    }

    /** {@code GET /status/{job_id}}: state, progress, times, error, result links. */
    public void status(Context ctx) {
        ctx.json(statusBody(job(ctx).snapshot()));
    }

    private static Map<String, Object> statusBody(Job.Snapshot s) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("job_id", s.id());
        body.put("status", s.state().publicName());
        body.put("stage", s.state().name().toLowerCase(Locale.ROOT));
        body.put("file", s.fileName());
        Map<String, Object> progress = new LinkedHashMap<>();
        progress.put("segments_done", s.segmentsDone());
        progress.put("segments_total", s.segmentsTotal() == 0 ? null : s.segmentsTotal());
        progress.put("percent", percent(s));
        body.put("progress", progress);
        body.put("created_at", text(s.createdAt()));
        body.put("started_at", text(s.startedAt()));
        body.put("finished_at", text(s.finishedAt()));
        body.put("cached", s.cached());
        if (s.state() == JobState.FAILED) {
            body.put("error", s.error());
        }
        if (s.state() == JobState.COMPLETED) {
            body.put("duration", s.transcript().durationS());
            body.put("language", s.transcript().language());
            body.put("results", links(s.id()));
        }
        return body;
    }

    /** {@code GET /jobs/{job_id}/result.{txt,srt,vtt,json}}: a result file of a completed job. */
    public void result(Context ctx) {
        String name = ctx.pathParam("file");
        String format = name.startsWith("result.") ? name.substring("result.".length()) : "";
        if (!FORMATS.containsKey(format)) {
            throw ApiErrors.notFound(
                    "no such result; use result.txt, result.srt, result.vtt or result.json");
        }
        Job.Snapshot s = job(ctx).snapshot();
        if (s.state() == JobState.FAILED) {
            throw ApiErrors.notFound("job failed: " + s.error());
        }
        if (s.state() == JobState.CANCELLED) {
            throw ApiErrors.notFound("the job was cancelled");
        }
        if (s.state() != JobState.COMPLETED) {
            throw new io.javalin.http.HttpResponseException(
                    HttpStatus.CONFLICT.getCode(), "job is still " + s.state().publicName());
        }
        sendFile(ctx, s, format, false);
    }

    private Job job(Context ctx) {
        String id = ctx.pathParam("job_id");
        return service.find(id).orElseThrow(() -> ApiErrors.notFound("no job with this id"));
    }

    private TranscribeOptions options(Context ctx) {
        return RequestOptions.parse(ctx, defaults);
    }

    private FormatAndOptions formatAndOptions(Context ctx) {
        return new FormatAndOptions(
                RequestOptions.choice(ctx, "format", "txt", FORMATS.keySet()), options(ctx));
    }

    private record FormatAndOptions(String format, TranscribeOptions options) {}

    /** The snapshot of a finished job, or the failure as an HTTP error. */
    static Job.Snapshot finished(Job job) {
        Job.Snapshot s = job.snapshot();
        if (s.state() == JobState.CANCELLED) {
            throw new io.javalin.http.HttpResponseException(
                    HttpStatus.CONFLICT.getCode(), "the job was cancelled");
        }
        if (s.state() == JobState.FAILED) {
            if (s.clientError()) {
                throw ApiErrors.unprocessable(s.error());
            }
            throw new io.javalin.http.HttpResponseException(
                    HttpStatus.INTERNAL_SERVER_ERROR.getCode(),
                    "transcription failed: " + s.error());
        }
        return s;
    }

    static void sendFile(Context ctx, Job.Snapshot s, String format, boolean attachment) {
        Path file = s.transcript().files().get(format);
        if (file == null || !Files.isRegularFile(file)) {
            throw ApiErrors.notFound("this job has no " + format + " result");
        }
        String downloadName = stem(s.fileName()) + "." + format;
        try {
            ctx.contentType(FORMATS.get(format))
                    .header(
                            "Content-Disposition",
                            (attachment ? "attachment" : "inline")
                                    + "; filename=\""
                                    + downloadName.replaceAll("[^A-Za-z0-9._-]", "_")
                                    + "\"; filename*=UTF-8''"
                                    + URLEncoder.encode(downloadName, StandardCharsets.UTF_8)
                                            .replace("+", "%20"))
                    .header("X-Job-Id", s.id())
                    .result(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read result of job " + s.id(), e);
        }
    }

    static Map<String, Object> resultBody(Job.Snapshot s) {
        Transcript t = s.transcript();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "success");
        body.put("transcription", t.text());
        body.put("language", t.language());
        body.put("output_file", stem(s.fileName()) + ".txt");
        body.put("timestamp", text(s.finishedAt()));
        body.put("job_id", s.id());
        body.put("file", s.fileName());
        body.put("duration", t.durationS());
        body.put("model", t.model());
        body.put("cached", s.cached());
        body.put("segments", segments(t.segments()));
        body.put("results", links(s.id()));
        return body;
    }

    static List<Map<String, Object>> segments(List<Transcript.Segment> segments) {
        return segments.stream()
                .map(
                        seg -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("index", seg.index());
                            m.put("start", seg.startMs() / 1000.0);
                            m.put("end", seg.endMs() / 1000.0);
                            if (seg.channel() > 0) {
                                m.put("channel", seg.channel());
                            }
                            m.put("text", seg.text());
                            return m;
                        })
                .toList();
    }

    static Map<String, String> links(String id) {
        Map<String, String> links = new LinkedHashMap<>();
        for (String f : List.of("txt", "srt", "vtt", "json")) {
            links.put(f, "/jobs/" + id + "/result." + f);
        }
        return links;
    }

    private static Integer percent(Job.Snapshot s) {
        if (s.state() == JobState.COMPLETED) {
            return 100;
        }
        if (s.segmentsTotal() == 0) {
            return null;
        }
        return (int) (100L * s.segmentsDone() / s.segmentsTotal());
    }

    static String stem(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }

    static Set<String> formats() {
        return FORMATS.keySet();
    }
}
