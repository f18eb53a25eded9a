package dev.omniscribe.submitter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.models.SpeechEngine;
import dev.omniscribe.pipeline.AudioSources;
import dev.omniscribe.pipeline.JobSettings;
import dev.omniscribe.pipeline.TranscribeJob;
import dev.omniscribe.submitter.jobs.Transcriber;
import dev.omniscribe.submitter.jobs.Transcript;
import dev.omniscribe.submitter.jobs.TranscriptReader;
import dev.omniscribe.submitter.jobs.WorkDir;
import dev.omniscribe.udfs.EngineSettings;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one upload through the pipeline's {@link TranscribeJob} on Flink's embedded mini cluster:
 * {@code inputs/<job>/} in, {@code outputs/<job>/<name>.{txt,srt,vtt,json}} and {@code
 * _failures.jsonl} out.
 *
 * <p>The pipeline's {@code TranscribeFunction} loads its engine in {@code open} and closes it in
 * {@code close}, so the model is loaded per job and is in memory exactly while a job runs: that is
 * what {@link #isModelLoaded()} reports. {@link #loadModel()} (for {@code --preload}) loads the
 * model once to prove the folder works, then frees it; {@link #unloadModel()} has nothing to free.
 */
final class PipelineTranscriber implements Transcriber {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineTranscriber.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerConfig config;
    private final WorkDir workDir;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile String modelName;

    PipelineTranscriber(ServerConfig config, WorkDir workDir) {
        this.config = config;
        this.workDir = workDir;
        this.modelName = config.modelDir().getFileName().toString();
        EngineConfig.cpu(config.modelDir()); // checks the folder now, with an actionable message
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
        JobSettings settings = settings(options);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(flinkConfiguration());
        TranscribeJob.build(
                env,
                AudioSources.folder(input.getParent().toUri().toString(), null, null),
                new TranscriptSink(layout, jsonOptions(options)),
                new FailureSink(layout),
                null,
                settings);
        running.set(true);
        try {
            env.execute("omniscribe http " + outputDir.getFileName());
        } catch (Exception e) {
            LOG.error("pipeline job for {} failed", outputDir.getFileName(), e);
            throw new TranscriptionFailedException(
                    "the transcription pipeline failed: " + clean(rootMessage(e)), false, e);
        } finally {
            running.set(false);
        }
        failure(outputDir, fileName);
        Transcript t = readTranscript(outputDir, fileName);
        if (t.model() != null) {
            modelName = t.model();
        }
        progress.onProgress(t.segments().size(), t.segments().size());
        return t;
    }

    /** Throws when {@code _failures.jsonl} lists the file. */
    private void failure(Path outputDir, String fileName) throws TranscriptionFailedException {
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

    private JobSettings settings(TranscribeOptions o) {
        EngineSettings engine =
                new EngineSettings(
                        config.modelDir().toAbsolutePath().toString(),
                        4,
                        1_000,
                        o.maxNewTokens(),
                        o.temperature(),
                        o.repetitionPenalty(),
                        0L,
                        null,
                        o.prompt(),
                        0,
                        config.gpus());
        return new JobSettings(
                SegmentationSettings.ofSeconds(o.segmentDurationS()),
                engine,
                o.s2t() ? ChineseConversion.S2T : ChineseConversion.NONE,
                null,
                Math.max(1, config.gpus()),
                1,
                null);
    }

    private static Map<String, Object> jsonOptions(TranscribeOptions o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("segment_duration", o.segmentDurationS());
        m.put("max_new_tokens", o.maxNewTokens());
        m.put("temperature", o.temperature());
        m.put("repetition_penalty", o.repetitionPenalty());
        m.put("s2t", o.s2t());
        if (o.prompt() != null) {
            m.put("prompt", o.prompt());
        }
        return m;
    }

    private Configuration flinkConfiguration() {
        Configuration conf = new Configuration();
        // Every record type is a POJO; a silent fall-back to Kryo is a bug.
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, Math.max(1, config.gpus()));
        return conf;
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
    public boolean isModelLoaded() {
        return running.get();
    }

    @Override
    public void loadModel() {
        try (SpeechEngine engine = OnnxSpeechEngine.load(EngineConfig.cpu(config.modelDir()))) {
            modelName = engine.modelName();
            LOG.info("model {} loads fine from {}", modelName, config.modelDir());
        }
    }

    @Override
    public void unloadModel() {
        // nothing resident: each job's engine is freed when the job ends
    }

    @Override
    public String modelName() {
        return modelName;
    }

    @Override
    public void close() {}
}
