package dev.omniscribe.submitter;

import dev.omniscribe.pipeline.ModelFolder;
import dev.omniscribe.udfs.BatchSettings;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.SharedEngines;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/serve}: the HTTP transcription service. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description =
                "HTTP transcription service: upload audio, get TXT, SRT, VTT or JSON back, or a job"
                        + " id. Every request runs through the transcription pipeline.")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host = "0.0.0.0";

    @Option(names = "--port", description = "TCP port (default: ${DEFAULT-VALUE}).")
    int port = 5000;

    @Option(
            names = {"--model", "--checkpoint-path"},
            description =
                    "Model folder written by the exporter (holds model.json); default: the bundled"
                            + " tiny test model, whose transcripts are meaningless.")
    String model;

    @Option(
            names = "--work-dir",
            description =
                    "Folder for uploads, results and job records: inputs/, inbox/, outputs/,"
                            + " temp/ (default: ${DEFAULT-VALUE}, outside any source tree).")
    Path workDir =
            Path.of(System.getProperty("user.home"), ".local", "state", "omniscribe", "serve");

    @Option(
            names = "--segment-duration",
            description = "Target segment length in seconds, 1..300 (default: ${DEFAULT-VALUE}).")
    int segmentDuration = TranscribeOptions.DEFAULTS.segmentDurationS();

    @Option(
            names = "--vad",
            paramLabel = "on|off",
            description =
                    "Speech detection (Silero VAD) by default: segments are speech, silence and"
                            + " music reach no model; a request's vad=off turns it off"
                            + " (default: ${DEFAULT-VALUE}).")
    String vad = "on";

    @Option(
            names = "--channels",
            paramLabel = "mixed|split",
            description =
                    "Channels by default: split transcribes each on its own, cues labelled [ch1],"
                            + " [ch2]; a request's channels= overrides it (default:"
                            + " ${DEFAULT-VALUE}).")
    String channels = "mixed";

    @Option(
            names = "--max-new-tokens",
            description = "Most generated tokens per segment (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = TranscribeOptions.DEFAULTS.maxNewTokens();

    @Option(
            names = "--temperature",
            description = "Sampling temperature, 0 for greedy (default: ${DEFAULT-VALUE}).")
    double temperature = TranscribeOptions.DEFAULTS.temperature();

    @Option(
            names = "--repetition-penalty",
            description = "Repetition penalty, 1 disables it (default: ${DEFAULT-VALUE}).")
    double repetitionPenalty = TranscribeOptions.DEFAULTS.repetitionPenalty();

    @Option(
            names = "--prompt",
            description = "Instruction given to the model instead of the model folder's default.")
    String prompt;

    @Option(
            names = "--s2t",
            description = "Convert Simplified to Traditional Chinese by default (OpenCC s2t).")
    boolean s2t;

    @Option(
            names = "--idle-timeout",
            description =
                    "Unload the model after this many seconds without work; 0 never unloads"
                            + " (default: ${DEFAULT-VALUE}).")
    long idleTimeout = 300;

    @Option(
            names = "--preload",
            description =
                    "Load the model at start, not on first use, and send a 3 s generated clip"
                            + " through the pipeline so that the first request finds it warm.")
    boolean preload;

    @Option(
            names = "--api-key",
            description =
                    "Require 'Authorization: Bearer <key>' on every request but /health. Also read"
                            + " from the environment variable OMNISCRIBE_API_KEY.")
    String apiKey;

    @Option(
            names = "--max-upload-size",
            description = "Largest upload, in bytes or with K, M, G (default: ${DEFAULT-VALUE}).")
    String maxUploadSize = "4G";

    @Option(
            names = "--rate-limit",
            description = "Uploads per client and minute (default: ${DEFAULT-VALUE}).")
    int rateLimit = 60;

    @Option(
            names = "--max-concurrent",
            description =
                    "Jobs handed to the pipeline at once; their segments share engine batches"
                            + " (default: ${DEFAULT-VALUE}).")
    int maxConcurrent = 32;

    @Option(
            names = "--queue-size",
            description =
                    "Jobs that may wait behind the concurrent ones; more get 503 (default:"
                            + " ${DEFAULT-VALUE}).")
    int queueSize = 16;

    @Option(
            names = "--batch-size",
            description = "Segments per engine batch (default: ${DEFAULT-VALUE}).")
    int batchSize = BatchSettings.DEFAULT_SIZE;

    @Option(
            names = "--batch-wait-ms",
            description =
                    "Longest wait of a partial batch for more segments, in ms (default:"
                            + " ${DEFAULT-VALUE}).")
    long batchWaitMs = BatchSettings.INTERACTIVE_WAIT_MS;

    @Option(
            names = "--retention-hours",
            description =
                    "Hours to keep uploads, results and job records (default: ${DEFAULT-VALUE}).")
    double retentionHours = 24;

    @Option(
            names = "--gpus",
            description =
                    "GPUs to use, one transcription slot each; 0 runs on the CPU (default:"
                            + " ${DEFAULT-VALUE}).")
    int gpus = 0;

    @Option(
            names = "--flink-address",
            description =
                    "host:port of a running Flink session cluster's REST endpoint; jobs go there"
                            + " instead of the embedded mini cluster. Its task managers need the"
                            + " model folder and the work folder at the same paths.")
    String flinkAddress;

    @Option(
            names = "--job-jar",
            description =
                    "The pipeline's job jar to ship with each job to --flink-address (leave it out"
                            + " when the cluster has it in its lib/ folder).")
    Path jobJar;

    @Option(
            names = "--fixed-tokens-per-30s",
            description =
                    "Benchmarks only: every segment generates exactly ceil(N x seconds / 30)"
                            + " tokens, stop tokens ignored (default: 0, off).")
    int fixedTokensPer30s = 0;

    /**
     * The service's configuration from {@code bin/serve}'s arguments: the one place that knows its
     * defaults.
     *
     * @throws IllegalArgumentException for arguments that do not parse or do not validate
     */
    public static ServerConfig config(String... args) {
        ServeCommand command = new ServeCommand();
        try {
            // A later option overrides an earlier one (a script's defaults, then the user's).
            new CommandLine(command).setOverwrittenOptionsAllowed(true).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return command.config();
    }

    private ServerConfig config() {
        String key = apiKey != null ? apiKey : System.getenv("OMNISCRIBE_API_KEY");
        return new ServerConfig(
                host,
                port,
                ModelFolder.resolve(model, System.err),
                workDir,
                new TranscribeOptions(
                        segmentDuration,
                        maxNewTokens,
                        temperature,
                        repetitionPenalty,
                        s2t,
                        prompt,
                        null,
                        null,
                        SegmentationSettings.parseSpeechDetection(vad),
                        SegmentationSettings.Channels.parse(channels)),
                parseSize(maxUploadSize),
                idleTimeout == 0 ? SharedEngines.KEEP_LOADED : Duration.ofSeconds(idleTimeout),
                preload,
                key == null || key.isEmpty() ? null : key,
                rateLimit,
                maxConcurrent,
                queueSize,
                new BatchSettings(batchSize, batchWaitMs),
                Duration.ofMinutes(Math.round(retentionHours * 60)),
                gpus,
                flinkAddress,
                jobJar,
                fixedTokensPer30s);
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig config = config();
        TranscriptionServer server = TranscriptionServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    server.close();
                                    stopped.countDown();
                                },
                                "serve-shutdown"));
        System.out.printf(
                Locale.ROOT,
                "omniscribe HTTP service on http://%s:%d (model %s, work folder %s, %s)%n",
                host,
                server.port(),
                config.modelDir(),
                workDir.toAbsolutePath(),
                flinkAddress == null ? "embedded Flink" : "Flink session cluster " + flinkAddress);
        stopped.await();
        return 0;
    }

    /** Parses {@code 4G}, {@code 512M}, {@code 100K} or plain bytes. */
    static long parseSize(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        if (t.endsWith("K")) {
            unit = 1024L;
        } else if (t.endsWith("M")) {
            unit = 1024L * 1024;
        } else if (t.endsWith("G")) {
            unit = 1024L * 1024 * 1024;
        }
        if (unit != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(t.strip()), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(
                    "size must be bytes or a number with K, M or G, got " + text);
        }
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new ServeCommand());
        cli.setExecutionExceptionHandler(
                (e, cmd, parsed) -> {
                    if (e instanceof IllegalArgumentException
                            || e instanceof IllegalStateException) {
                        cmd.getErr().println("serve: " + e.getMessage());
                        return 2;
                    }
                    throw e;
                });
        System.exit(cli.execute(args));
    }
}
