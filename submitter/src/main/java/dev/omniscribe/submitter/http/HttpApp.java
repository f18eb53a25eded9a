package dev.omniscribe.submitter.http;

import dev.omniscribe.submitter.ServerConfig;
import dev.omniscribe.submitter.jobs.TranscriptionService;
import dev.omniscribe.submitter.jobs.WorkDir;
import dev.omniscribe.submitter.upload.MediaProbe;
import dev.omniscribe.submitter.upload.UploadReceiver;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.validation.ValidationException;
import java.time.Clock;

/**
 * Builds the service's {@link Javalin} app: routes, guards, error shape, the web page at {@code /}.
 */
public final class HttpApp {

    private HttpApp() {}

    /**
     * An unstarted app over the given service.
     *
     * @param config host and port are not applied here; pass them to {@link Javalin#start(String,
     *     int)}
     */
    public static Javalin create(
            ServerConfig config,
            TranscriptionService service,
            MediaProbe probe,
            WorkDir workDir,
            GpuMemoryMonitor gpu) {
        UploadReceiver receiver = new UploadReceiver(workDir, config.maxUploadBytes());
        Intake intake = new Intake(service, receiver, probe, workDir);
        TranscribeController transcribe =
                new TranscribeController(intake, service, config.defaults());
        OpenAiController openAi = new OpenAiController(intake, config.defaults());
        HealthController health = new HealthController(service, gpu);
        ServiceMetrics metrics = new ServiceMetrics(service, gpu);
        ModelsController models = new ModelsController(service, config.modelDir());
        OpenApiDescription openApi = new OpenApiDescription();
        SecurityHeaders headers = new SecurityHeaders();
        BearerAuth auth = new BearerAuth(config.apiKey());
        RateLimiter rateLimiter = new RateLimiter(config.rateLimitPerMinute(), Clock.systemUTC());

        return Javalin.create(
                cfg -> {
                    cfg.startup.showJavalinBanner = false;
                    cfg.startup.showOldJavalinVersionWarning = false;
                    cfg.jetty.modifyHttpConfiguration(
                            http -> {
                                http.setSendServerVersion(false);
                                http.setSendXPoweredBy(false);
                            });
                    cfg.jetty.multipartConfig.cacheDirectory(workDir.temp().toString());
                    cfg.jetty.multipartConfig.maxFileSize(config.maxUploadBytes(), SizeUnit.BYTES);
                    cfg.jetty.multipartConfig.maxTotalRequestSize(
                            config.maxUploadBytes() + UploadReceiver.MULTIPART_OVERHEAD_BYTES,
                            SizeUnit.BYTES);
                    cfg.jetty.multipartConfig.maxInMemoryFileSize(64, SizeUnit.KB);

                    cfg.staticFiles.add(WebPage.CLASSPATH_DIR, Location.CLASSPATH);

                    cfg.routes.before(headers::apply);
                    cfg.routes.before(auth::check);
                    cfg.routes.before(rateLimiter::check);

                    cfg.routes.after(metrics::countRequest);

                    cfg.routes.get("/health", health::health);
                    cfg.routes.get("/metrics", metrics::scrape);
                    cfg.routes.get(OpenApiDescription.RESOURCE, openApi::serve);
                    cfg.routes.post("/transcribe", transcribe::transcribe);
                    cfg.routes.post("/transcribe/json", transcribe::transcribeJson);
                    cfg.routes.post("/transcribe/srt", transcribe::transcribeSrt);
                    cfg.routes.post("/transcribe/async", transcribe::transcribeAsync);
                    cfg.routes.get("/status/{job_id}", transcribe::status);
                    cfg.routes.get("/jobs", transcribe::list);
                    cfg.routes.delete("/jobs/{job_id}", transcribe::cancel);
                    cfg.routes.get("/jobs/{job_id}/{file}", transcribe::result);
                    cfg.routes.post("/v1/audio/transcriptions", openAi::transcriptions);
                    cfg.routes.get("/v1/models", models::list);

                    cfg.routes.exception(HttpResponseException.class, ApiErrors::handleHttp);
                    cfg.routes.exception(ValidationException.class, ApiErrors::handleValidation);
                    cfg.routes.exception(Exception.class, ApiErrors::handleUnexpected);
                });
    }
}
