package dev.omniscribe.submitter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.pipeline.AudioSources;
import dev.omniscribe.pipeline.FlinkAddress;
import dev.omniscribe.pipeline.JobOptions;
import dev.omniscribe.pipeline.TranscribeJob;
import dev.omniscribe.submitter.jobs.Transcriber;
import dev.omniscribe.submitter.jobs.Transcript;
import dev.omniscribe.submitter.jobs.TranscriptReader;
import dev.omniscribe.submitter.jobs.WorkDir;
import dev.omniscribe.udfs.DecodeAudioFunction;
import dev.omniscribe.udfs.EngineLease;
import dev.omniscribe.udfs.EngineSettings;
import dev.omniscribe.udfs.FileOptions;
import dev.omniscribe.udfs.SharedEngines;
import dev.omniscribe.udfs.TranscribeFunction;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.guard.OutputGuard;
import dev.omniscribe.udfs.sink.FailureMarkerSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's one long-lived pipeline job, started with the service and fed by it: every accepted
 * upload goes through the same {@link TranscribeJob} (same slots, engines, batching, metrics and
 * restart behaviour as {@code bin/transcribe}), so segments of concurrent uploads share engine
 * batches and nothing starts per request.
 *
 * <p>The feed is a watched inbox ({@link AudioSources#inbox}) below the work folder: an upload is
 * linked in as {@code inbox/<job>/<name>} beside an {@code _options.json} with its options, and its
 * transcript appears as {@code outputs/<job>/<name>.{txt,srt,vtt,json}} (JSON last), or a {@code
 * .failed.json} marker when it cannot be transcribed. Files are the protocol, so the same works on
 * the embedded mini cluster and on a session cluster ({@link ServerConfig#flinkAddress()}) whose
 * task managers see the work folder at the same path. After a restart the new job finds what is
 * still in the inbox and transcribes it.
 *
 * <p>The model: the pipeline's {@link TranscribeFunction} leases the engine per batch from the
 * JVM-wide {@link SharedEngines} (the one passed here), which unloads it after {@link
 * ServerConfig#idleTimeout()} without work; the next batch loads it again. {@link #loadModel()}
 * ({@code --preload}) loads it into the same registry. On a session cluster the model lives in the
 * task managers, out of sight: {@link #isModelLoaded()} is null there.
 */
final class ResidentPipeline implements Transcriber {

    private static final Logger LOG = LoggerFactory.getLogger(ResidentPipeline.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How often a waiting request looks for its transcript, in milliseconds. */
    static final long RESULT_POLL_MS = 5;

    /** How often progress and batch sizes are read from the job, in milliseconds. */
    static final long POLL_MS = 250;

    /** How often the job lists its inbox. */
    static final Duration INBOX_POLL = Duration.ofMillis(25);

    private final ServerConfig config;
    private final WorkDir workDir;
    private final SharedEngines engines;
    private final Path inbox;
    private final JobClient job;
    private final ScheduledExecutorService refresh;
    private volatile Map<Integer, Integer> batchSizes = Map.of();
    private volatile JobStatus jobStatus;
    private final Map<String, ProgressListener> waiting = new ConcurrentHashMap<>();
    private volatile String modelName;

    /**
     * Starts the resident job.
     *
     * @param engines the registry the pipeline's functions lease engines from: {@link
     *     SharedEngines#jvm()} for the embedded cluster
     */
    ResidentPipeline(ServerConfig config, WorkDir workDir, SharedEngines engines) {
        this.config = config;
        this.workDir = workDir;
        this.engines = engines;
        this.modelName = config.modelDir().getFileName().toString();
        if (!config.remote()) {
            // Checks the folder now, with an actionable message (a cluster checks its own).
            ModelSpec.checkFolder(config.modelDir());
        }
        this.inbox = workDir.root().resolve("inbox");
        try {
            Files.createDirectories(inbox);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + inbox, e);
        }
        JobOptions options = jobOptions(config.defaults());
        StreamExecutionEnvironment env = environment(options);
        OutputLayout layout =
                new OutputLayout(
                        workDir.outputs().toUri().toString(), List.of(OutputFormat.values()));
        TranscribeJob.build(
                env,
                AudioSources.inbox(inbox.toUri().toString(), INBOX_POLL),
                new TranscriptSink(layout, config.modelDir().toAbsolutePath().toString()),
                new FailureMarkerSink(layout),
                options.settings(!config.remote(), null));
        try {
            this.job = env.executeAsync("omniscribe service " + workDir.root().getFileName());
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the service's pipeline job: " + e, e);
        }
        LOG.info("resident pipeline job {} watches {}", job.getJobID(), inbox);
        this.refresh =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "pipeline-batch-sizes");
                            t.setDaemon(true);
                            return t;
                        });
        refresh.scheduleWithFixedDelay(
                this::refreshFromAccumulators, POLL_MS, POLL_MS, TimeUnit.MILLISECONDS);
    }

    /** The job's options for the service's defaults; a request's own travel with its file. */
    private JobOptions jobOptions(TranscribeOptions defaults) {
        return new JobOptions(
                config.modelDir().toAbsolutePath().toString(),
                defaults.segmentation(),
                config.batching(),
                defaults.generation(),
                ChineseConversion.NONE,
                null,
                Math.max(1, config.gpus()),
                // Embedded: at least two decoders, so that a long upload's decoding never
                // holds back the uploads behind it; a cluster: one per slot (automatic).
                config.remote() ? 0 : Math.max(2, Runtime.getRuntime().availableProcessors()),
                0,
                config.gpus(),
                config.idleTimeout(),
                Storage.DEFAULT,
                config.fixedTokensPer30s(),
                OutputGuard.DEFAULT,
                null);
    }

    private static FileOptions fileOptions(TranscribeOptions o) {
        return new FileOptions(
                o.segmentation(),
                o.generation(),
                o.s2t() ? ChineseConversion.S2T : ChineseConversion.NONE);
    }

    @Override
    public Transcript transcribe(
            Path input, TranscribeOptions options, Path outputDir, ProgressListener progress)
            throws TranscriptionFailedException {
        String jobId = outputDir.getFileName().toString();
        String fileName = input.getFileName().toString();
        Path folder = inbox.resolve(jobId);
        String key = jobId + "/" + fileName;
        waiting.put(key, progress);
        try {
            feed(input, options, folder);
            Path json = outputDir.resolve(fileName + "." + OutputFormat.JSON.extension());
            Path failed = outputDir.resolve(fileName + OutputLayout.FAILURE_MARKER_SUFFIX);
            while (!Files.exists(json)) {
                if (Files.exists(failed)) {
                    throw failure(failed);
                }
                checkJobAlive();
                TimeUnit.MILLISECONDS.sleep(RESULT_POLL_MS);
            }
            Transcript t = readTranscript(outputDir, fileName);
            if (t.model() != null) {
                modelName = t.model();
            }
            progress.onProgress(t.segments().size(), t.segments().size());
            return t;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TranscriptionFailedException("the service is stopping", false, e);
        } catch (IOException e) {
            throw new TranscriptionFailedException(
                    "cannot hand the upload to the pipeline: " + e.getMessage(), false, e);
        } finally {
            waiting.remove(key);
            WorkDir.deleteTree(folder);
        }
    }

    /**
     * Puts the upload into the inbox: options first, then the audio linked in under its name in one
     * step, so the job never reads half a file or a file without its options. Idempotent (a job
     * resumed after a restart may find its folder there).
     */
    private static void feed(Path input, TranscribeOptions options, Path folder)
            throws IOException {
        Files.createDirectories(folder);
        Path optionsFile = folder.resolve(FileOptions.FOLDER_FILE);
        Path optionsTmp = folder.resolve("." + FileOptions.FOLDER_FILE + ".tmp");
        Files.writeString(optionsTmp, fileOptions(options).toJson(), StandardCharsets.UTF_8);
        Files.move(optionsTmp, optionsFile, StandardCopyOption.ATOMIC_MOVE);
        Path target = folder.resolve(input.getFileName().toString());
        if (Files.exists(target)) {
            return;
        }
        try {
            Files.createLink(target, input);
        } catch (FileAlreadyExistsException e) {
            // Fed already.
        } catch (IOException | UnsupportedOperationException e) {
            Path tmp = folder.resolve("." + input.getFileName() + ".tmp");
            Files.copy(input, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Fails when the job has ended (its status is read in the background, not per wait). */
    private void checkJobAlive() throws TranscriptionFailedException {
        JobStatus status = jobStatus;
        if (status != null && status.isGloballyTerminalState()) {
            throw new TranscriptionFailedException(
                    "the transcription pipeline stopped (" + status + ")", false, null);
        }
    }

    /** The failure marker's reason, as the client may see it. */
    private TranscriptionFailedException failure(Path marker) {
        try {
            JsonNode f = JSON.readTree(Files.readString(marker, StandardCharsets.UTF_8));
            String stage = f.path("stage").asText("");
            String error = clean(f.path("error").asText("unknown error"));
            boolean decode = stage.equals("decode");
            return new TranscriptionFailedException(
                    (decode ? "the audio could not be decoded: " : "transcription failed: ")
                            + error,
                    decode,
                    null);
        } catch (IOException e) {
            return new TranscriptionFailedException(
                    "cannot read the pipeline's failure record", false, e);
        }
    }

    private Transcript readTranscript(Path outputDir, String fileName)
            throws TranscriptionFailedException {
        try {
            return new TranscriptReader().read(outputDir, fileName, modelName);
        } catch (UncheckedIOException e) {
            throw new TranscriptionFailedException(
                    "the pipeline finished without a readable transcript of " + fileName, false, e);
        }
    }

    @Override
    public Map<Integer, Integer> batchSizes() {
        return batchSizes;
    }

    /**
     * Reads the job's accumulators (the task managers report them with heartbeats): engine batch
     * sizes, and segments cut and done per file for the requests waiting.
     */
    private void refreshFromAccumulators() {
        try {
            jobStatus = job.getJobStatus().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Unknown for the moment (the cluster is busy): keep the last status.
        }
        Map<String, Object> acc;
        try {
            acc = job.getAccumulators().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // The job is starting or stopping: keep the last figures.
            return;
        }
        if (acc.get(TranscribeFunction.BATCH_SIZES) instanceof Map<?, ?> m) {
            Map<Integer, Integer> counts = new TreeMap<>();
            m.forEach((k, v) -> counts.put((Integer) k, (Integer) v));
            batchSizes = Collections.unmodifiableMap(counts);
        }
        if (waiting.isEmpty()) {
            return;
        }
        Map<String, Integer> total =
                byRequest(acc.get(DecodeAudioFunction.SEGMENTS_DECODED_BY_FILE));
        Map<String, Integer> done =
                byRequest(acc.get(TranscribeFunction.SEGMENTS_PROCESSED_BY_FILE));
        waiting.forEach(
                (key, listener) -> {
                    int t = total.getOrDefault(key, 0);
                    int d = done.getOrDefault(key, 0);
                    if (t > 0) {
                        // Counts of different tasks are read at slightly different moments.
                        listener.onProgress(Math.min(d, t), Math.max(t, d));
                    }
                });
    }

    /** Per-file counts keyed as {@code <job>/<name>} (the inbox file's folder and name). */
    private static Map<String, Integer> byRequest(Object counts) {
        Map<String, Integer> out = new java.util.HashMap<>();
        if (counts instanceof Map<?, ?> m) {
            m.forEach(
                    (k, v) -> {
                        org.apache.flink.core.fs.Path p =
                                new org.apache.flink.core.fs.Path((String) k);
                        out.put(p.getParent().getName() + "/" + p.getName(), (Integer) v);
                    });
        }
        return out;
    }

    /**
     * One engine per GPU (slot {@code i} uses GPU {@code i}), or one on the CPU: the engines the
     * embedded job's slots lease, so that a preloaded one is the one batches find.
     */
    private List<EngineConfig> engineConfigs() {
        EngineSettings engine = jobOptions(config.defaults()).settings(true, null).engine();
        Path dir = Path.of(engine.modelDir()).normalize();
        List<EngineConfig> configs = new ArrayList<>();
        if (engine.gpus() == 0) {
            configs.add(new EngineConfig(dir, -1, engine.threads()));
        }
        for (int gpu = 0; gpu < engine.gpus(); gpu++) {
            configs.add(new EngineConfig(dir, gpu, engine.threads()));
        }
        return configs;
    }

    private StreamExecutionEnvironment environment(JobOptions options) {
        Configuration conf = options.flinkConfiguration();
        // A job that never ends must outlive a failed task (an engine fault, a lost task
        // manager): without checkpoints Flink would not restart it at all. A restarted job lists
        // the inbox again and redoes the files in flight; their outputs are written atomically.
        if (!conf.contains(RestartStrategyOptions.RESTART_STRATEGY)) {
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        }
        if (config.remote()) {
            FlinkAddress address = FlinkAddress.parse(config.flinkAddress());
            String[] jars =
                    config.jobJar() == null
                            ? new String[0]
                            : new String[] {config.jobJar().toAbsolutePath().toString()};
            return StreamExecutionEnvironment.createRemoteEnvironment(
                    address.host(), address.port(), conf, jars);
        }
        // Accumulators (batch sizes) travel with the task managers' heartbeats.
        conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofMillis(500));
        return StreamExecutionEnvironment.createLocalEnvironment(conf);
    }

    /** Server paths never reach a client: the work folder is cut from messages. */
    private String clean(String message) {
        String m = message == null ? "" : message;
        m = m.replace(workDir.root().toUri().toString(), "");
        m = m.replace(workDir.root().toString() + "/", "");
        m = m.replace(workDir.root().toString(), "");
        return m.length() > 500 ? m.substring(0, 500) : m;
    }

    @Override
    public Boolean isModelLoaded() {
        return config.remote() ? null : engines.isLoaded(config.modelDir());
    }

    @Override
    public void loadModel() {
        if (config.remote()) {
            throw new IllegalStateException("the model of a session cluster loads there");
        }
        for (EngineConfig c : engineConfigs()) {
            try (EngineLease lease = engines.acquire(c, config.idleTimeout())) {
                modelName = lease.engine().modelName();
            }
        }
        LOG.info("model {} loaded from {}", modelName, config.modelDir());
        warmUp();
    }

    /** Name of the warm-up clip's folders in the inbox and the outputs. */
    static final String WARM_UP = "warm-up";

    /**
     * Sends a short generated clip through the whole job once, so that the first request finds
     * every step warm: on the tiny model on 2 cores the first request took 0.48 s and the ones
     * after it ~0.16 s. Best effort: a failure is logged and the service starts all the same.
     */
    private void warmUp() {
        Path dir = workDir.temp().resolve(WARM_UP);
        Path out = workDir.outputs().resolve(WARM_UP);
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(dir);
            Path clip = Files.write(dir.resolve(WARM_UP + ".wav"), WarmUpClip.wav());
            transcribe(clip, config.defaults(), out, (done, total) -> {});
            LOG.info(
                    "warm-up clip transcribed through the pipeline in {} ms",
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException | TranscriptionFailedException | RuntimeException e) {
            LOG.warn("warm-up clip failed (the first request will be slower): {}", e.toString());
        } finally {
            WorkDir.deleteTree(out);
            WorkDir.deleteTree(dir);
        }
    }

    @Override
    public void unloadModel() {
        if (!config.remote()) {
            engines.unloadIdle();
        }
    }

    @Override
    public String modelName() {
        return modelName;
    }

    /** Stops the resident job (requests have ended: the service waits for them first). */
    @Override
    public void close() {
        refresh.shutdownNow();
        try {
            job.cancel().get(30, TimeUnit.SECONDS);
            // The cancel is acknowledged before the tasks have stopped; wait for them, so that
            // nothing writes to the work folder after close returns.
            job.getJobExecutionResult().handle((result, failure) -> null).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("cannot cancel the resident pipeline job {}", job.getJobID(), e);
        }
        unloadModel();
    }
}
