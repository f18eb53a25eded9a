package dev.omniscribe.pipeline;

import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.udfs.BatchSettings;
import dev.omniscribe.udfs.EngineSettings;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.guard.OutputGuard;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.TaskManagerOptions;

/**
 * The options a user gives a transcription job, from the command line ({@link TranscribeCommand})
 * or the HTTP service, and the one place that turns them into the job: its {@link JobSettings} and
 * its Flink configuration. Where the job runs decides what "automatic" means, so {@link #settings}
 * takes it.
 *
 * @param modelDir the model folder
 * @param segmentation how audio is cut
 * @param batching how segments are grouped into batched generations
 * @param generation how each segment's text is generated
 * @param conversion OpenCC conversion of the text
 * @param ffmpegDir a folder with a system ffmpeg and ffprobe, or null for the bundled ones
 * @param parallelism transcription slots, one engine each
 * @param decoders parallel ffmpeg decoders, or 0 for automatic: the CPU cores on the embedded
 *     cluster, {@code parallelism} on a cluster
 * @param threads ONNX Runtime threads per engine on the CPU, or 0 for automatic: cores divided by
 *     {@code parallelism} on the embedded cluster, ONNX Runtime's choice on a cluster
 * @param gpus GPUs of the embedded cluster (slot {@code i} takes GPU {@code i % gpus}); 0 for the
 *     CPU unless Flink's {@code gpu} resource assigns one
 * @param idleTimeout how long an engine stays loaded after its last task closes (see {@link
 *     EngineSettings#idleTimeout()})
 * @param storage how {@code s3a://} paths are reached
 * @param fixedTokensPer30s 0, or for benchmarks the tokens every 30 s of audio generates (see
 *     {@link EngineSettings#fixedTokensPer30s()})
 * @param guard the token budget per audio second and the repetition check around the engine (see
 *     {@link EngineSettings#guard()})
 */
public record JobOptions(
        String modelDir,
        SegmentationSettings segmentation,
        BatchSettings batching,
        GenerationOptions generation,
        ChineseConversion conversion,
        String ffmpegDir,
        int parallelism,
        int decoders,
        int threads,
        int gpus,
        Duration idleTimeout,
        Storage storage,
        int fixedTokensPer30s,
        OutputGuard guard) {

    public JobOptions {
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(segmentation, "segmentation");
        Objects.requireNonNull(batching, "batching");
        Objects.requireNonNull(generation, "generation");
        Objects.requireNonNull(conversion, "conversion");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        storage = storage == null ? Storage.DEFAULT : storage;
        guard = guard == null ? OutputGuard.DEFAULT : guard;
        if (parallelism < 1) {
            throw new IllegalArgumentException(
                    "parallelism must be at least 1, got " + parallelism);
        }
        if (decoders < 0) {
            throw new IllegalArgumentException(
                    "decode parallelism must be at least 1 (or 0 for automatic), got " + decoders);
        }
        if (threads < 0) {
            throw new IllegalArgumentException(
                    "threads must be at least 1 (or 0 for automatic), got " + threads);
        }
        if (gpus < 0) {
            throw new IllegalArgumentException("GPUs must be 0 (CPU) or more, got " + gpus);
        }
    }

    /**
     * Every default: one slot on the CPU, automatic decoders and threads, the old service's
     * generation.
     */
    public static JobOptions defaults(String modelDir) {
        return new JobOptions(
                modelDir,
                SegmentationSettings.DEFAULT,
                BatchSettings.DEFAULTS,
                GenerationOptions.DEFAULTS,
                ChineseConversion.NONE,
                null,
                1,
                0,
                0,
                0,
                Duration.ZERO,
                Storage.DEFAULT,
                0,
                OutputGuard.DEFAULT);
    }

    /**
     * Parallel decoders: as given, else the cores embedded and {@code parallelism} on a cluster.
     */
    public int decoders(boolean embedded) {
        if (decoders > 0) {
            return decoders;
        }
        return embedded ? Runtime.getRuntime().availableProcessors() : parallelism;
    }

    /**
     * ONNX Runtime threads per engine: as given, else shared out embedded, ONNX Runtime's choice on
     * a cluster.
     */
    public int threads(boolean embedded) {
        if (threads > 0) {
            return threads;
        }
        return embedded ? Math.max(1, Runtime.getRuntime().availableProcessors() / parallelism) : 0;
    }

    /**
     * The job's settings where it runs.
     *
     * @param embedded whether the job runs on the embedded mini cluster (this machine's cores are
     *     the task managers' cores)
     * @param skipCompleted outputs whose presence skips an input, or null to transcribe everything
     */
    public JobSettings settings(boolean embedded, OutputLayout skipCompleted) {
        return new JobSettings(
                segmentation,
                new EngineSettings(
                        modelDir, threads(embedded), gpus, idleTimeout, fixedTokensPer30s, guard),
                batching,
                generation,
                conversion,
                ffmpegDir,
                parallelism,
                decoders(embedded),
                skipCompleted,
                storage);
    }

    /**
     * The Flink configuration: {@code FLINK_CONF_DIR}'s {@code config.yaml} if set, plus what the
     * job needs (POJO records only, streaming mode, and on the embedded cluster enough slots for
     * the transcription slots and the decoders).
     */
    public Configuration flinkConfiguration() {
        String confDir = System.getenv("FLINK_CONF_DIR");
        Configuration conf =
                confDir != null
                        ? GlobalConfiguration.loadConfiguration(confDir)
                        : new Configuration();
        // Every record type is a POJO; a silent fall-back to Kryo is a bug.
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);
        // Records leave at once instead of waiting up to 100 ms for a full network buffer: a
        // segment's PCM fills buffers anyway, and the small records behind the engine (text) would
        // otherwise add that wait at every exchange to each file's latency.
        if (!conf.contains(ExecutionOptions.BUFFER_TIMEOUT)) {
            conf.set(ExecutionOptions.BUFFER_TIMEOUT, Duration.ZERO);
        }
        // Only the embedded mini cluster reads this; a cluster has its own slots.
        if (!conf.contains(TaskManagerOptions.NUM_TASK_SLOTS)) {
            conf.set(TaskManagerOptions.NUM_TASK_SLOTS, Math.max(parallelism, decoders(true)));
        }
        return conf;
    }
}
