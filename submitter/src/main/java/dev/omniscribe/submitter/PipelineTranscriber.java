package dev.omniscribe.submitter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.pipeline.AudioSources;
import dev.omniscribe.pipeline.JobOptions;
import dev.omniscribe.pipeline.JobSettings;
import dev.omniscribe.pipeline.TranscribeJob;
import dev.omniscribe.submitter.jobs.Transcriber;
import dev.omniscribe.submitter.jobs.Transcript;
import dev.omniscribe.submitter.jobs.TranscriptReader;
import dev.omniscribe.submitter.jobs.WorkDir;
import dev.omniscribe.udfs.BatchSettings;
import dev.omniscribe.udfs.DecodeAudioFunction;
import dev.omniscribe.udfs.EngineLease;
import dev.omniscribe.udfs.EngineSettings;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.SharedEngines;
import dev.omniscribe.udfs.TranscribeFunction;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one upload through the pipeline's {@link TranscribeJob}: {@code inputs/<job>/} in, {@code
 * outputs/<job>/<name>.{txt,srt,vtt,json}} and {@code _failures.jsonl} out. Jobs run on Flink's
 * embedded mini cluster, or on a session cluster when {@link ServerConfig#flinkAddress()} is set.
 *
 * <p>The model: the pipeline's {@code TranscribeFunction} leases its engine from the JVM-wide
 * {@link SharedEngines} (the one passed here), which keeps it loaded for {@link
 * ServerConfig#idleTimeout()} after a job ends, so consecutive jobs share one loaded model. {@link
 * #loadModel()} ({@code --preload}) loads it into the same registry; {@link #isModelLoaded()} asks
 * the registry. On a session cluster the model lives in the task managers, out of sight: {@link
 * #isModelLoaded()} is null there.
 *
 * <p>Progress: while a job runs, the accumulators {@code segmentsDecoded} (segments cut so far; it
 * grows until the file is decoded, which runs well ahead of transcription) and {@code
 * segmentsProcessed} are polled from the job's {@link JobClient} every {@value #POLL_MS} ms.
 */
final class PipelineTranscriber implements Transcriber {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineTranscriber.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How often a running job's progress is read, in milliseconds. */
    static final long POLL_MS = 250;

    private final ServerConfig config;
    private final WorkDir workDir;
    private final SharedEngines engines;
    private volatile String modelName;

    /**
     * @param engines the registry the pipeline's functions lease engines from: {@link
     *     SharedEngines#jvm()} for the embedded cluster
     */
    PipelineTranscriber(ServerConfig config, WorkDir workDir, SharedEngines engines) {
        this.config = config;
        this.workDir = workDir;
        this.engines = engines;
        this.modelName = config.modelDir().getFileName().toString();
        if (!config.remote()) {
            // Checks the folder now, with an actionable message (a cluster checks its own).
            ModelSpec.checkFolder(config.modelDir());
        }
    }

    @Override
    public Transcript transcribe(
            Path input, TranscribeOptions options, Path outputDir, ProgressListener progress)
            throws TranscriptionFailedException {
        String fileName = input.getFileName().toString();
        OutputLayout layout =
                new OutputLayout(
                        outputDir.toUri().toString(),
                        List.of(
                                OutputFormat.TXT,
                                OutputFormat.SRT,
                                OutputFormat.VTT,
                                OutputFormat.JSON));
        JobOptions jobOptions = jobOptions(options);
        JobSettings settings = jobOptions.settings(!config.remote(), null);
        StreamExecutionEnvironment env = environment(jobOptions);
        TranscribeJob.build(
                env,
                AudioSources.folder(input.getParent().toUri().toString(), null, null),
                new TranscriptSink(layout, settings.recordedOptions()),
                new FailureSink(layout),
                null,
                settings);
        try {
            JobClient job = env.executeAsync("omniscribe http " + outputDir.getFileName());
            awaitReporting(job, progress);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TranscriptionFailedException("the service is stopping", false, e);
        } catch (Exception e) {
            LOG.error("pipeline job for {} failed", outputDir.getFileName(), e);
            throw new TranscriptionFailedException(
                    "the transcription pipeline failed: " + clean(rootMessage(e)), false, e);
        }
        throwIfFailed(outputDir, fileName);
        Transcript t = readTranscript(outputDir, fileName);
        if (t.model() != null) {
            modelName = t.model();
        }
        progress.onProgress(t.segments().size(), t.segments().size());
        return t;
    }

    /** Waits for the job's end, telling {@code progress} the segment counts meanwhile. */
    private static void awaitReporting(JobClient job, ProgressListener progress) throws Exception {
        CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
        while (true) {
            try {
                result.get(POLL_MS, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                report(job, progress);
            } catch (InterruptedException e) {
                job.cancel();
                throw e;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception c ? c : e;
            }
        }
    }

    private static void report(JobClient job, ProgressListener progress) {
        Map<String, Object> acc;
        try {
            acc = job.getAccumulators().get(POLL_MS * 4, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // The job is starting or ending (the embedded cluster may be gone already); the
            // next poll, or the job's result, tells.
            return;
        }
        long total = count(acc.get(DecodeAudioFunction.SEGMENTS_DECODED));
        long done = count(acc.get(TranscribeFunction.SEGMENTS_PROCESSED));
        if (total > 0) {
            // Counts of different tasks are read at slightly different moments.
            progress.onProgress((int) Math.min(done, total), (int) Math.max(total, done));
        }
    }

    private static long count(Object accumulator) {
        return accumulator instanceof Number n ? n.longValue() : 0;
    }

    /** Throws when {@code _failures.jsonl} lists the file. */
    private void throwIfFailed(Path outputDir, String fileName)
            throws TranscriptionFailedException {
        Path failures = outputDir.resolve(OutputLayout.FAILURES_FILE);
        if (!Files.isRegularFile(failures)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(failures)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode f = JSON.readTree(line);
                String stage = f.path("stage").asText("");
                String error = clean(f.path("error").asText("unknown error"));
                boolean decode = stage.equals("decode");
                throw new TranscriptionFailedException(
                        (decode ? "the audio could not be decoded: " : "transcription failed: ")
                                + error,
                        decode,
                        null);
            }
        } catch (IOException e) {
            throw new TranscriptionFailedException(
                    "cannot read the pipeline's failure list", false, e);
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

    /** The service's job options for one request's options. */
    private JobOptions jobOptions(TranscribeOptions o) {
        return new JobOptions(
                config.modelDir().toAbsolutePath().toString(),
                SegmentationSettings.ofSeconds(o.segmentDurationS()),
                BatchSettings.DEFAULTS,
                o.generation(),
                o.s2t() ? ChineseConversion.S2T : ChineseConversion.NONE,
                null,
                Math.max(1, config.gpus()),
                1,
                0,
                config.gpus(),
                config.idleTimeout(),
                Storage.DEFAULT);
    }

    /**
     * One engine per GPU (slot {@code i} uses GPU {@code i}), or one on the CPU: the engines the
     * embedded job's slots lease, so that a preloaded one is the one jobs find.
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
        if (config.remote()) {
            FlinkAddress address = FlinkAddress.parse(config.flinkAddress());
            String[] jars =
                    config.jobJar() == null
                            ? new String[0]
                            : new String[] {config.jobJar().toAbsolutePath().toString()};
            return StreamExecutionEnvironment.createRemoteEnvironment(
                    address.host(), address.port(), conf, jars);
        }
        // Accumulators (job progress) travel with the task managers' heartbeats.
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

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
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

    /** Frees the model (jobs have ended: the service waits for them before closing this). */
    @Override
    public void close() {
        unloadModel();
    }
}
