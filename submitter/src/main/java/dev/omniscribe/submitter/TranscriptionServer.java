package dev.omniscribe.submitter;

import dev.omniscribe.submitter.http.GpuMemoryMonitor;
import dev.omniscribe.submitter.http.HttpApp;
import dev.omniscribe.submitter.jobs.Transcriber;
import dev.omniscribe.submitter.jobs.TranscriptionService;
import dev.omniscribe.submitter.jobs.WorkDir;
import dev.omniscribe.submitter.upload.MediaProbe;
import dev.omniscribe.udfs.SharedEngines;
import dev.omniscribe.udfs.audio.FfmpegBinaries;
import io.javalin.Javalin;
import java.time.Clock;

/** The running service: the HTTP app over the job service, the pipeline and the model. */
public final class TranscriptionServer implements AutoCloseable {

    private final TranscriptionService service;
    private final GpuMemoryMonitor gpu;
    private final Javalin app;

    private TranscriptionServer(TranscriptionService service, GpuMemoryMonitor gpu, Javalin app) {
        this.service = service;
        this.gpu = gpu;
        this.app = app;
    }

    /**
     * Builds everything from the configuration and starts listening; with {@code preload} the model
     * is loaded before the port opens.
     */
    public static TranscriptionServer start(ServerConfig config) {
        WorkDir workDir = new WorkDir(config.workDir());
        FfmpegBinaries ffmpeg = FfmpegBinaries.resolve(null);
        MediaProbe probe = new MediaProbe(ffmpeg.ffprobe());
        // The pipeline's functions lease engines from the JVM-wide registry (Flink instantiates
        // them); the service reads and preloads the same one.
        SharedEngines engines = SharedEngines.jvm();
        Transcriber transcriber = new ResidentPipeline(config, workDir, engines);
        TranscriptionService service =
                new TranscriptionService(
                        workDir,
                        transcriber,
                        config.maxConcurrent(),
                        config.queueCapacity(),
                        config.retention(),
                        Clock.systemUTC());
        // the engines of this JVM (embedded cluster); with a remote cluster none load here: null
        GpuMemoryMonitor gpu = new GpuMemoryMonitor(engines::loadedEngines);
        try {
            if (config.preload()) {
                service.preload();
            }
            Javalin app = HttpApp.create(config, service, probe, workDir, gpu);
            app.start(config.host(), config.port());
            return new TranscriptionServer(service, gpu, app);
        } catch (RuntimeException e) {
            gpu.close();
            service.close();
            throw e;
        }
    }

    /** The port listened on (useful with port 0). */
    public int port() {
        return app.port();
    }

    public TranscriptionService service() {
        return service;
    }

    /** Stops listening, lets the running job finish, frees the model. */
    @Override
    public void close() {
        app.stop();
        gpu.close();
        service.close();
    }
}
