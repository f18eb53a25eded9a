package dev.omniscribe.submitter.http;

import dev.omniscribe.submitter.TranscribeOptions;
import dev.omniscribe.submitter.jobs.Job;
import dev.omniscribe.submitter.jobs.QueueFullException;
import dev.omniscribe.submitter.jobs.TranscriptionService;
import dev.omniscribe.submitter.jobs.WorkDir;
import dev.omniscribe.submitter.upload.MediaProbe;
import dev.omniscribe.submitter.upload.Upload;
import dev.omniscribe.submitter.upload.UploadReceiver;
import io.javalin.http.Context;
import java.util.function.Function;

/**
 * The path every upload takes, whatever the endpoint: options checked (before the body is read when
 * they come in the query string), upload streamed to disk, content probed, job queued. Any refusal
 * removes what was stored.
 */
final class Intake {

    private final TranscriptionService service;
    private final UploadReceiver receiver;
    private final MediaProbe probe;
    private final WorkDir workDir;

    Intake(
            TranscriptionService service,
            UploadReceiver receiver,
            MediaProbe probe,
            WorkDir workDir) {
        this.service = service;
        this.receiver = receiver;
        this.probe = probe;
        this.workDir = workDir;
    }

    /**
     * Accepts the request's audio as a job.
     *
     * @param parse reads the endpoint's parameters (query string or multipart fields); runs before
     *     the body is read unless the request is multipart, and always before the job is queued
     * @param options the transcription options within the parameters
     * @throws io.javalin.http.HttpResponseException 400, 413, 415 or 503
     */
    <P> Accepted<P> accept(
            Context ctx, Function<Context, P> parse, Function<P, TranscribeOptions> options) {
        boolean multipart = ctx.isMultipartFormData();
        P early = multipart ? null : parse.apply(ctx);
        boolean earlyNoCache = !multipart && RequestOptions.flag(ctx, "no_cache");
        String jobId = service.newJobId();
        try {
            Upload upload = receiver.receive(ctx, jobId);
            P params = multipart ? parse.apply(ctx) : early;
            boolean noCache = multipart ? RequestOptions.flag(ctx, "no_cache") : earlyNoCache;
            // The pipeline starts on the upload while ffprobe checks that it is audio; an upload
            // that is not is withdrawn before its job is known to anyone. An answer from the cache
            // had the same bytes probed before.
            Job job = service.submit(jobId, upload, options.apply(params), noCache);
            if (job.snapshot().cached()) {
                return new Accepted<>(job, params);
            }
            try {
                probe.probe(upload.file());
            } catch (MediaProbe.NotAudioException e) {
                service.withdraw(job);
                throw ApiErrors.unsupportedMedia(e.getMessage());
            } catch (RuntimeException e) {
                service.withdraw(job);
                throw e;
            }
            return new Accepted<>(job, params);
        } catch (QueueFullException e) {
            throw ApiErrors.unavailable(e.getMessage(), 10);
        } catch (RuntimeException e) {
            WorkDir.deleteTree(workDir.inputDir(jobId));
            throw e;
        }
    }

    /** A queued (or already answered) job and the request's parameters. */
    record Accepted<P>(Job job, P params) {}
}
