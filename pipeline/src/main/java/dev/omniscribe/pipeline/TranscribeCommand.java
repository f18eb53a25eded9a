package dev.omniscribe.pipeline;

import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.udfs.BatchSettings;
import dev.omniscribe.udfs.FlinkPaths;
import dev.omniscribe.udfs.OrderedMergeFunction;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.format.OutputNames;
import dev.omniscribe.udfs.format.Provenance;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.guard.OutputGuard;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code transcribe --input DIR --output DIR [--model DIR] [options]}: transcribes every audio file
 * below the input folder into TXT, SRT, VTT and JSON files below the output folder.
 *
 * <p>Started with {@code java} (as {@code bin/transcribe} does) it runs on Flink's embedded mini
 * cluster; submitted with {@code flink run} it runs on that cluster. Exit codes: 0 all files
 * transcribed, 1 some files failed (listed in {@code _failures.jsonl}), 2 bad options, 3 the job
 * itself failed.
 */
@Command(
        name = "transcribe",
        mixinStandardHelpOptions = true,
        version = "omniscribe 0.1.0",
        sortOptions = false,
        description =
                "Transcribes every audio file below --input into <output>/<relative path>.{txt,srt,vtt,json}.")
public final class TranscribeCommand implements Callable<Integer> {

    @Option(
            names = "--input",
            required = true,
            description = "Folder of audio files (recursive), or an s3a:// prefix.")
    String input;

    @Option(
            names = "--output",
            required = true,
            description = "Folder for the transcripts, or an s3a:// prefix.")
    String output;

    @Option(
            names = {"--model", "--checkpoint-path"},
            description =
                    "Model folder made by models/export (default: the bundled tiny test model,"
                            + " whose output is meaningless).")
    String model;

    @Option(
            names = "--segment-duration",
            defaultValue = "" + SegmentationSettings.DEFAULT_SECONDS,
            description = "Longest segment in seconds, at most 300 (default: ${DEFAULT-VALUE}).")
    double segmentDuration;

    @Option(
            names = "--vad",
            defaultValue = "on",
            paramLabel = "on|off",
            description =
                    "Speech detection (Silero VAD): segments are speech merged up to"
                            + " --segment-duration and cut in pauses; silence, music and noise"
                            + " reach no model. off: the whole audio, cut at silences (default:"
                            + " ${DEFAULT-VALUE}).")
    String vad;

    @Option(
            names = "--channels",
            defaultValue = "mixed",
            paramLabel = "mixed|split",
            description =
                    "split: transcribe each channel on its own (one speaker per channel, as call"
                            + " recordings have) and label its cues [ch1], [ch2] (default:"
                            + " ${DEFAULT-VALUE}).")
    String channels;

    @Option(
            names = "--batch-size",
            description =
                    "Segments per batched generation (default: "
                            + BatchSettings.DEFAULT_SIZE
                            + " on the CPU, "
                            + BatchSettings.DEFAULT_GPU_SIZE
                            + " with --gpus).")
    Integer batchSize;

    @Option(
            names = "--batch-lookahead",
            defaultValue = "" + BatchSettings.DEFAULT_LOOKAHEAD,
            description =
                    "Batches' worth of segments held to form batches of similar length; 1 keeps"
                            + " arrival order (default: ${DEFAULT-VALUE}).")
    int batchLookahead;

    @Option(
            names = "--max-new-tokens",
            defaultValue = "" + GenerationOptions.DEFAULT_MAX_NEW_TOKENS,
            description = "Most generated tokens per segment (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(
            names = "--temperature",
            defaultValue = "" + GenerationOptions.DEFAULT_TEMPERATURE,
            description = "Sampling temperature, 0 for greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(
            names = "--repetition-penalty",
            defaultValue = "" + GenerationOptions.DEFAULT_REPETITION_PENALTY,
            description = "Repetition penalty, 1 disables it (default: ${DEFAULT-VALUE}).")
    double repetitionPenalty;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--parallelism",
            description =
                    "Task slots (default: 1, or one per GPU with --gpus). Slots on one GPU share"
                            + " its engine; two per GPU overlap one batch's CPU work with the"
                            + " other's GPU work, given memory for two batches on the card.")
    Integer parallelism;

    @Option(
            names = "--decode-parallelism",
            defaultValue = "0",
            description =
                    "Parallel ffmpeg decoders (default: the CPU cores embedded, --parallelism on a"
                            + " cluster).")
    int decodeParallelism;

    @Option(
            names = "--formats",
            defaultValue = "txt,srt,vtt,json",
            description = "Output formats (default: ${DEFAULT-VALUE}).")
    String formats;

    @Option(names = "--s2t", description = "Convert Simplified to Traditional Chinese (OpenCC).")
    boolean s2t;

    @Option(
            names = "--opencc",
            defaultValue = "none",
            description =
                    "OpenCC conversion: none, s2t, t2s, s2tw, s2hk (default: ${DEFAULT-VALUE}).")
    String opencc;

    @Option(
            names = "--language",
            description =
                    "Spoken language, an ISO 639-1 code (en, zh, fr, ...), named in the model's"
                            + " instruction (default: none; the JSON reports the language the"
                            + " model detects on the first segment).")
    String language;

    @Option(
            names = "--context",
            description =
                    "Context for the transcription, given to the model before its instruction:"
                            + " earlier text, names, spelling.")
    String context;

    @Option(
            names = "--prompt",
            description =
                    "The whole instruction, replacing the model's (and its language wording);"
                            + " {audio} in it marks where the audio stands (default: the"
                            + " model's).")
    String prompt;

    @Option(names = "--system-prompt", description = "System message (default: the model's).")
    String systemPrompt;

    @Option(
            names = "--tokens-per-second",
            defaultValue = "" + OutputGuard.DEFAULT_TOKENS_PER_SECOND,
            description =
                    "Token budget per second of a segment's audio, within --max-new-tokens; 0"
                            + " leaves only --max-new-tokens (default: ${DEFAULT-VALUE}).")
    double tokensPerSecond;

    @Option(
            names = "--tokens-per-segment",
            defaultValue = "" + OutputGuard.DEFAULT_EXTRA_TOKENS,
            description =
                    "Token budget every segment gets on top of its seconds (default:"
                            + " ${DEFAULT-VALUE}).")
    int tokensPerSegment;

    @Option(
            names = "--no-repetition-check",
            description =
                    "Keep looping output: do not cut repetition loops, nor retry segments that"
                            + " loop or hit their budget.")
    boolean noRepetitionCheck;

    @Option(
            names = "--overwrite",
            description =
                    "Transcribe files whose outputs already exist (without it, a file is redone only"
                            + " when its outputs were made by another model or with other options).")
    boolean overwrite;

    @Option(
            names = "--output-name",
            defaultValue = OutputNames.DEFAULT_TEMPLATE,
            paramLabel = "TEMPLATE",
            description =
                    "Output file name before the format's extension: {name} (the input's name with"
                            + " its extension), {stem} (without it), {lang} (the language, und when"
                            + " none is given); e.g. {stem}.{lang} gives talk.und.srt. Default:"
                            + " ${DEFAULT-VALUE}.")
    String outputName;

    @Option(
            names = "--ffmpeg",
            description = "Folder with a system ffmpeg and ffprobe (default: the bundled ones).")
    String ffmpegDir;

    @Option(
            names = "--gpus",
            defaultValue = "0",
            description =
                    "GPUs for the embedded cluster; slot i uses GPU i modulo gpus (default: CPU, or"
                            + " Flink's gpu resource on a cluster).")
    int gpus;

    @Option(
            names = "--threads",
            defaultValue = "0",
            description =
                    "ONNX Runtime threads per engine on CPU (default: cores / parallelism"
                            + " embedded, ONNX Runtime's choice on a cluster).")
    int threads;

    @Option(
            names = "--batch-wait-ms",
            defaultValue = "" + BatchSettings.DEFAULT_WAIT_MS,
            description =
                    "Longest wait of a partial batch for more segments (default: ${DEFAULT-VALUE}).")
    long batchWaitMs;

    @Option(
            names = "--fixed-tokens-per-30s",
            defaultValue = "0",
            description =
                    "Benchmarks only: every segment generates exactly ceil(N x seconds / 30) tokens,"
                            + " stop tokens ignored (engine-bench's work per audio second).")
    int fixedTokensPer30s;

    @Option(
            names = "--watch",
            arity = "0..1",
            fallbackValue = "",
            paramLabel = "INTERVAL",
            description =
                    "Keep running and transcribe new files as they appear under --input (streaming,"
                            + " with checkpoints); checks every --poll-interval.")
    String watch;

    @Option(
            names = "--poll-interval",
            defaultValue = "10s",
            description =
                    "How often --watch lists the input: 10s, 2m, 500ms or seconds (default:"
                            + " ${DEFAULT-VALUE}).")
    String pollInterval;

    @Option(
            names = "--checkpoint-dir",
            description =
                    "Where --watch keeps its checkpoints (kept when the job stops, so a later run can"
                            + " --restore from one). Default: Flink's configuration, else memory.")
    String checkpointDir;

    @Option(
            names = "--restore",
            description =
                    "Start from this checkpoint or savepoint (a chk-N folder below --checkpoint-dir"
                            + " or a savepoint folder): files already handed out are not read again.")
    String restore;

    @Option(
            names = "--s3-endpoint",
            description =
                    "S3 API endpoint for s3a:// paths, for MinIO, Ceph and other S3-compatible stores"
                            + " (default: AWS, or fs.s3a.endpoint in Flink's configuration).")
    String s3Endpoint;

    @Option(
            names = "--s3-path-style",
            description =
                    "Address buckets as endpoint/bucket/key (most S3-compatible stores need it).")
    boolean s3PathStyle;

    @Option(
            names = "--metrics-port",
            paramLabel = "PORT[-PORT]",
            description =
                    "Serve the job's metrics for Prometheus at http://<host>:PORT/metrics (Flink's"
                            + " Prometheus reporter; a range takes the first free port). Default:"
                            + " off, or Flink's configuration.")
    String metricsPort;

    @Option(
            names = "--flink-address",
            paramLabel = "HOST:PORT",
            description =
                    "Submit the job to this Flink session cluster's REST endpoint instead of running"
                            + " it embedded; progress is printed here all the same.")
    String flinkAddress;

    @Option(
            names = "--job-jar",
            description =
                    "The job jar shipped with the job to --flink-address"
                            + " (pipeline/target/pipeline-*-job.jar; leave it out when the cluster"
                            + " has it in lib/).")
    String jobJar;

    private final PrintStream out;
    private final PrintStream err;

    public TranscribeCommand() {
        this(System.out, System.err);
    }

    TranscribeCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Parses {@code args}, runs the job and returns the exit code. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new TranscribeCommand());
        cl.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    if (e instanceof IllegalArgumentException) {
                        commandLine.getErr().println("error: " + e.getMessage());
                        return 2;
                    }
                    commandLine.getErr().println("error: the job failed: " + rootMessage(e));
                    e.printStackTrace(commandLine.getErr());
                    return 3;
                });
        return cl.execute(args);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** The slots given, or one per GPU (one on the CPU). */
    private int parallelism() {
        return parallelism != null ? parallelism : Math.max(1, gpus);
    }

    /** The batch size given, or the default for the device. */
    private int batchSize() {
        if (batchSize != null) {
            return batchSize;
        }
        return gpus > 0 ? BatchSettings.DEFAULT_GPU_SIZE : BatchSettings.DEFAULT_SIZE;
    }

    /** This command's options as the job's, with {@code storage} for {@code s3a://} paths. */
    private JobOptions jobOptions(String modelDir, Storage storage) {
        return new JobOptions(
                modelDir,
                SegmentationSettings.of(
                        segmentDuration,
                        SegmentationSettings.parseSpeechDetection(vad),
                        SegmentationSettings.Channels.parse(channels)),
                new BatchSettings(batchSize(), batchWaitMs, batchLookahead),
                new GenerationOptions(
                        maxNewTokens,
                        temperature,
                        repetitionPenalty,
                        seed,
                        systemPrompt,
                        prompt,
                        language,
                        context),
                s2t ? ChineseConversion.S2T : ChineseConversion.parse(opencc),
                ffmpegDir,
                parallelism(),
                decodeParallelism,
                threads,
                gpus,
                Duration.ZERO, // a batch job: unload the engine as soon as its last task closes
                storage,
                fixedTokensPer30s,
                new OutputGuard(tokensPerSecond, tokensPerSegment, !noRepetitionCheck),
                metricsPort);
    }

    @Override
    public Integer call() throws Exception {
        String inputUri = toUri(input);
        String outputUri = toUri(output);
        String modelDir = ModelFolder.resolve(model, err).toString();
        List<OutputFormat> formatList = OutputFormat.parseList(formats);
        Duration watchInterval =
                watch == null ? null : parseDuration(watch.isEmpty() ? pollInterval : watch);
        Configuration conf = jobOptions(modelDir, Storage.DEFAULT).flinkConfiguration();
        // Progress comes from accumulators, which task managers send with their heartbeats: the
        // embedded cluster's every second (a cluster keeps its own interval).
        if (!conf.contains(HeartbeatManagerOptions.HEARTBEAT_INTERVAL)) {
            conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(1));
        }
        JobOptions options = jobOptions(modelDir, storage(conf, s3Endpoint, s3PathStyle));
        Storage storage = options.storage();
        // {lang}: the language given, else "und" (OutputNames).
        OutputLayout layout =
                new OutputLayout(
                        outputUri, formatList, storage, new OutputNames(outputName, language));
        if (watchInterval != null) {
            watchConfiguration(conf, checkpointDir, restore);
        } else if (restore != null || checkpointDir != null) {
            throw new IllegalArgumentException("--restore and --checkpoint-dir go with --watch");
        }
        StreamExecutionEnvironment env = environment(conf);
        // Embedded, this machine's cores are the task managers' cores; on a cluster they are not.
        boolean embedded = env instanceof LocalStreamEnvironment;
        JobSettings settings = options.settings(embedded, overwrite ? null : layout);

        String excluded = isInside(outputUri, inputUri) ? outputUri : null;
        Scan scan =
                scan(
                        inputUri,
                        excluded,
                        layout,
                        !overwrite,
                        Provenance.of(modelDir, settings.fileOptions()),
                        storage,
                        watchInterval != null);
        out.printf(
                Locale.ROOT,
                "%d files (%.1f MB) to transcribe from %s%s%n",
                scan.files(),
                scan.bytes() / 1e6,
                input,
                scan.describeReruns(layout.formats().contains(OutputFormat.JSON)));

        out.printf(
                Locale.ROOT,
                "%s, %d slot(s), batches of %d (grouped by length over %d, partial after %d ms),"
                        + " %d decoder(s)%n",
                gpus > 0 ? gpus + " GPU(s)" : "CPU",
                settings.parallelism(),
                settings.batching().size(),
                settings.batching().lookahead(),
                settings.batching().waitMs(),
                settings.decodeParallelism());

        if (watchInterval != null && !env.getCheckpointConfig().isCheckpointingEnabled()) {
            // The source's record of files handed out, and _failures.jsonl, follow checkpoints.
            env.enableCheckpointing(Duration.ofSeconds(30).toMillis());
        }
        TranscribeJob.build(
                env,
                AudioSources.folder(inputUri, excluded, watchInterval, storage),
                new TranscriptSink(layout, modelDir),
                new FailureSink(layout),
                settings);

        long start = System.nanoTime();
        JobClient job = env.executeAsync("omniscribe transcribe " + input);
        if (!env.getConfiguration().get(DeploymentOptions.ATTACHED)) {
            out.println("submitted job " + job.getJobID());
            return 0;
        }
        JobExecutionResult result;
        try (JobProgress progress =
                JobProgress.start(job, scan.files(), scan.bytes(), out, System.console() != null)) {
            result = job.getJobExecutionResult().get();
            progress.finish(result.getAllAccumulatorResults());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int done = intAccumulator(result, OrderedMergeFunction.FILES_DONE);
        int failed = intAccumulator(result, OrderedMergeFunction.FILES_FAILED);
        out.printf(
                Locale.ROOT,
                "done in %.1f s: %d files transcribed, %d failed%s; outputs in %s%n",
                seconds,
                done,
                failed,
                failed > 0 ? " (see " + new Path(output, OutputLayout.FAILURES_FILE) + ")" : "",
                output);
        return failed > 0 ? 1 : 0;
    }

    private static int intAccumulator(JobExecutionResult result, String name) {
        Object v = result.getAccumulatorResult(name);
        return v == null ? 0 : ((Number) v).intValue();
    }

    /**
     * Where the job runs: the session cluster at {@code --flink-address}, else the environment
     * {@code flink run} provides, else the embedded mini cluster.
     */
    private StreamExecutionEnvironment environment(Configuration conf) {
        if (flinkAddress == null) {
            if (jobJar != null) {
                throw new IllegalArgumentException("--job-jar goes with --flink-address");
            }
            return StreamExecutionEnvironment.getExecutionEnvironment(conf);
        }
        FlinkAddress address = FlinkAddress.parse(flinkAddress);
        String[] jars = jobJar == null ? new String[0] : new String[] {jobJar};
        if (jobJar != null && !java.nio.file.Files.isRegularFile(Paths.get(jobJar))) {
            throw new IllegalArgumentException(
                    "--job-jar is not a file: " + jobJar + " (mvn -B package builds it)");
        }
        conf.set(DeploymentOptions.ATTACHED, true);
        return StreamExecutionEnvironment.createRemoteEnvironment(
                address.host(), address.port(), conf, jars);
    }

    /** A URI for a local path or any Flink file system URI. */
    static String toUri(String location) {
        if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:/.*")) {
            return location;
        }
        return Paths.get(location).toAbsolutePath().normalize().toUri().toString();
    }

    private static boolean isInside(String child, String parent) {
        String c = FlinkPaths.of(child).toUri().getPath();
        String p = FlinkPaths.of(parent).toUri().getPath();
        String ps = p.endsWith("/") ? p : p + "/";
        String scheme = FlinkPaths.of(child).toUri().getScheme();
        return scheme != null
                && scheme.equals(FlinkPaths.of(parent).toUri().getScheme())
                && (c.equals(p) || c.startsWith(ps));
    }

    /**
     * What the input holds for this run.
     *
     * @param files inputs to transcribe
     * @param bytes their size
     * @param skipped inputs whose outputs this model made with these options
     * @param otherModel inputs whose outputs another model made (redone)
     * @param otherOptions inputs whose outputs were made with other options (redone)
     */
    record Scan(long files, long bytes, long skipped, long otherModel, long otherOptions) {

        /** {@code ", 3 already done (...), 2 redone: made by another model"}, or nothing. */
        String describeReruns(boolean recorded) {
            StringBuilder sb = new StringBuilder();
            if (skipped > 0) {
                sb.append(", ")
                        .append(skipped)
                        .append(" skipped: already done")
                        .append(recorded ? " by this model with these options" : "")
                        .append(" (--overwrite redoes them)");
            }
            if (otherModel + otherOptions > 0) {
                sb.append(", ").append(otherModel + otherOptions).append(" redone: made");
                if (otherModel > 0) {
                    sb.append(" by another model (").append(otherModel).append(')');
                }
                if (otherOptions > 0) {
                    sb.append(otherModel > 0 ? " or" : "")
                            .append(" with other options (")
                            .append(otherOptions)
                            .append(')');
                }
            }
            return sb.toString();
        }
    }

    /**
     * Counts the inputs the job will transcribe, and refuses two inputs whose outputs would have
     * one name ({@code --output-name {stem}} with {@code talk.mp3} and {@code talk.wav}). An S3
     * prefix with nothing below it yet is fine when watching (its bucket must exist: listing a
     * missing bucket fails).
     *
     * @param skipCompleted whether inputs whose outputs {@code expected} made are skipped
     */
    static Scan scan(
            String inputUri,
            String excluded,
            OutputLayout layout,
            boolean skipCompleted,
            Provenance expected,
            Storage storage,
            boolean watching)
            throws IOException {
        Path root = FlinkPaths.of(inputUri);
        org.apache.flink.core.fs.FileSystem fs = storage.fileSystem(root);
        if (!fs.exists(root)) {
            if (!(watching && Storage.isS3(root))) {
                throw new IllegalArgumentException("input does not exist: " + inputUri);
            }
            // Fails with "bucket does not exist" when it does not.
            fs.listStatus(
                    FlinkPaths.of(
                            root.toUri().getScheme() + "://" + root.toUri().getAuthority() + "/"));
        }
        long files = 0;
        long bytes = 0;
        long skipped = 0;
        long otherModel = 0;
        long otherOptions = 0;
        Map<String, String> inputByOutput = new java.util.HashMap<>();
        for (AudioFileLister.Listed f :
                AudioFileLister.list(root, new AudioFileFilter(inputUri, excluded), storage)) {
            String rel = AudioFileFormat.relativePath(inputUri, f.path());
            String output = layout.names().apply(rel);
            String earlier = inputByOutput.putIfAbsent(output, rel);
            if (earlier != null) {
                throw new IllegalArgumentException(
                        "--output-name "
                                + layout.names().template()
                                + " gives "
                                + earlier
                                + " and "
                                + rel
                                + " the same outputs ("
                                + output
                                + ".*); rename one, or add {name} to the template");
            }
            OutputLayout.Existing existing =
                    skipCompleted ? layout.check(rel, expected) : OutputLayout.Existing.MISSING;
            if (existing == OutputLayout.Existing.CURRENT) {
                skipped++;
                continue;
            }
            otherModel += existing == OutputLayout.Existing.OTHER_MODEL ? 1 : 0;
            otherOptions += existing == OutputLayout.Existing.OTHER_OPTIONS ? 1 : 0;
            files++;
            bytes += f.size();
        }
        return new Scan(files, bytes, skipped, otherModel, otherOptions);
    }

    /**
     * S3 settings: {@code fs.s3a.*} keys of the Flink configuration (config.yaml), then the command
     * line's endpoint and path style on top.
     */
    static Storage storage(Configuration conf, String endpoint, boolean pathStyle) {
        Map<String, String> s3a = new java.util.TreeMap<>();
        conf.toMap()
                .forEach(
                        (k, v) -> {
                            if (k.startsWith("fs.s3a.")) {
                                s3a.put(k, v);
                            }
                        });
        String e = endpoint != null ? endpoint : s3a.remove("fs.s3a.endpoint");
        boolean p = pathStyle || Boolean.parseBoolean(s3a.remove("fs.s3a.path.style.access"));
        return new Storage(e, p, s3a);
    }

    /** Checkpoints kept on cancel in {@code dir}, and a start from {@code restore}, if given. */
    static void watchConfiguration(Configuration conf, String dir, String restore) {
        if (dir != null) {
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, toUri(dir));
            conf.set(
                    CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                    ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        }
        if (restore != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, toUri(restore));
        }
    }

    /** {@code 10s}, {@code 2m}, {@code 500ms}, {@code 1h} or a number of seconds. */
    static Duration parseDuration(String text) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m|h)?").matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "not a duration: '" + text + "' (expected 10s, 2m, 500ms, 1h or seconds)");
        }
        long n = Long.parseLong(m.group(1));
        Duration d =
                switch (m.group(2) == null ? "s" : m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofSeconds(n);
                };
        if (d.toMillis() < 100) {
            throw new IllegalArgumentException("poll interval must be at least 100ms, got " + text);
        }
        return d;
    }
}
