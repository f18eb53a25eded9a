package dev.omniscribe.submitter.http;

import dev.omniscribe.submitter.jobs.Job;
import dev.omniscribe.submitter.jobs.JobState;
import dev.omniscribe.submitter.jobs.TranscriptionService;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.router.Endpoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /metrics}: the service's metrics in Prometheus' text format, from the Prometheus Java
 * client. Every name starts with {@code omniscribe_}:
 *
 * <ul>
 *   <li>{@value #REQUESTS}{@code _total{method, endpoint, status}}: requests answered, by route
 *       (the registered path, {@code /status/{job_id}}; {@code static} for the web page's files,
 *       {@code unmatched} for unknown paths) and status code;
 *   <li>{@value #QUEUE_DEPTH}: jobs accepted and waiting for a place ({@code --max-concurrent});
 *   <li>{@value #JOBS}{@code {state}}: jobs kept, by state ({@code queued}, {@code running}, {@code
 *       completed}, {@code failed}, {@code cancelled});
 *   <li>{@value #AUDIO_SECONDS}{@code _total}: seconds of audio in jobs transcribed;
 *   <li>{@value #REAL_TIME_FACTOR}: per transcribed job, its processing time (start to finish,
 *       waiting for the engine included) over its audio's duration; below 1 is faster than real
 *       time;
 *   <li>{@value #ENGINE_BATCHES}{@code _total{size}}: engine batches run, by segments per batch;
 *   <li>{@value #MODEL_LOADED}: 1 while the model is in memory, 0 when not (absent on a remote
 *       cluster, where this process cannot tell);
 *   <li>{@value #GPU_ALLOCATED}, {@value #GPU_RESERVED}: GPU memory this process holds, and in use
 *       on its engines' GPUs by all processes (as {@code /health} reports in GB); absent while no
 *       engine runs on a GPU here.
 * </ul>
 */
public final class ServiceMetrics {

    static final String REQUESTS = "omniscribe_http_requests";
    static final String QUEUE_DEPTH = "omniscribe_queue_depth";
    static final String JOBS = "omniscribe_jobs";
    static final String AUDIO_SECONDS = "omniscribe_audio_seconds";
    static final String REAL_TIME_FACTOR = "omniscribe_real_time_factor";
    static final String ENGINE_BATCHES = "omniscribe_engine_batches";
    static final String MODEL_LOADED = "omniscribe_model_loaded";
    static final String GPU_ALLOCATED = "omniscribe_gpu_memory_allocated_bytes";
    static final String GPU_RESERVED = "omniscribe_gpu_memory_reserved_bytes";

    /** The route label of a request no route matched (404s): keeps the label set bounded. */
    static final String UNMATCHED = "unmatched";

    /** The route label of the web page's files, which no route serves. */
    static final String STATIC = "static";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Counter audioSeconds;
    private final Histogram realTimeFactor;

    /** Registers the service's metrics; finished jobs are counted from now on. */
    public ServiceMetrics(TranscriptionService service, GpuMemoryMonitor gpu) {
        requests =
                Counter.builder()
                        .name(REQUESTS)
                        .help("HTTP requests answered, by method, route and status code")
                        .labelNames("method", "endpoint", "status")
                        .register(registry);
        audioSeconds =
                Counter.builder()
                        .name(AUDIO_SECONDS)
                        .help("Seconds of audio in the jobs transcribed")
                        .register(registry);
        realTimeFactor =
                Histogram.builder()
                        .name(REAL_TIME_FACTOR)
                        .help(
                                "Per transcribed job: processing time over audio duration (below 1"
                                        + " is faster than real time)")
                        .classicOnly()
                        .classicUpperBounds(
                                0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5)
                        .register(registry);
        GaugeWithCallback.builder()
                .name(QUEUE_DEPTH)
                .help("Jobs accepted and waiting for one of the --max-concurrent places")
                .callback(cb -> cb.call(service.queuedJobs()))
                .register(registry);
        GaugeWithCallback.builder()
                .name(JOBS)
                .help("Jobs kept, by state")
                .labelNames("state")
                .callback(
                        cb -> {
                            for (Map.Entry<JobState, Integer> e :
                                    service.jobsByState().entrySet()) {
                                cb.call(e.getValue(), e.getKey().name().toLowerCase(Locale.ROOT));
                            }
                        })
                .register(registry);
        CounterWithCallback.builder()
                .name(ENGINE_BATCHES)
                .help("Engine batches run, by segments per batch")
                .labelNames("size")
                .callback(
                        cb -> {
                            for (Map.Entry<Integer, Integer> e : service.batchSizes().entrySet()) {
                                cb.call(e.getValue(), Integer.toString(e.getKey()));
                            }
                        })
                .register(registry);
        GaugeWithCallback.builder()
                .name(MODEL_LOADED)
                .help("1 while the model is in memory, 0 when not")
                .callback(
                        cb -> {
                            Boolean loaded = service.isModelLoaded();
                            if (loaded != null) {
                                cb.call(loaded ? 1 : 0);
                            }
                        })
                .register(registry);
        GaugeWithCallback.builder()
                .name(GPU_ALLOCATED)
                .help("GPU memory this process holds on its engines' GPUs")
                .callback(
                        cb -> {
                            Long bytes = gpu.allocatedBytes();
                            if (bytes != null) {
                                cb.call(bytes);
                            }
                        })
                .register(registry);
        GaugeWithCallback.builder()
                .name(GPU_RESERVED)
                .help("GPU memory in use on the engines' GPUs by all processes")
                .callback(
                        cb -> {
                            Long bytes = gpu.reservedBytes();
                            if (bytes != null) {
                                cb.call(bytes);
                            }
                        })
                .register(registry);
        service.onJobFinished(this::jobFinished);
    }

    /** Counts a finished job's audio and speed (transcribed jobs only). */
    void jobFinished(Job.Snapshot job) {
        if (job.state() != JobState.COMPLETED || job.transcript() == null || job.cached()) {
            return;
        }
        double audio = job.transcript().durationS();
        audioSeconds.inc(audio);
        if (audio > 0 && job.startedAt() != null && job.finishedAt() != null) {
            double seconds = Duration.between(job.startedAt(), job.finishedAt()).toNanos() / 1e9;
            realTimeFactor.observe(seconds / audio);
        }
    }

    /** Counts one answered request (an after-handler: the status is final). */
    void countRequest(Context ctx) {
        Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
        String route =
                matched != null
                        ? matched.path
                        : ctx.statusCode() == HttpStatus.NOT_FOUND.getCode() ? UNMATCHED : STATIC;
        requests.labelValues(ctx.method().name(), route, Integer.toString(ctx.statusCode())).inc();
    }

    /** Answers {@code GET /metrics}. */
    void scrape(Context ctx) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ctx.contentType(writer.getContentType()).result(out.toByteArray());
    }
}
