package dev.omniscribe.submitter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.submitter.ServeCommand;
import dev.omniscribe.submitter.ServerConfig;
import dev.omniscribe.submitter.TranscriptionServer;
import dev.omniscribe.udfs.audio.AudioDecoder;
import dev.omniscribe.udfs.audio.FfmpegBinaries;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What the HTTP service adds to the engine's own work, and what concurrent requests gain from
 * sharing engine batches: distinct clips cut from a speech file, each transcribed by the engine
 * directly (its own time), then through a running service one after another (per-request overhead:
 * latency minus the engine's time for that clip), then all at once; {@code /health} is probed
 * throughout. Prints one table.
 */
@Command(
        name = "serve-bench",
        mixinStandardHelpOptions = true,
        description = "Per-request overhead and concurrency gain of the HTTP service.")
public final class ServiceBench implements Callable<Integer> {

    @Option(names = "--model", description = "Model folder (default: the tiny test model).")
    String model;

    @Option(
            names = "--speech",
            defaultValue = "samples/en/meeting.m4a",
            description = "Speech to cut the clips from (default: ${DEFAULT-VALUE}).")
    Path speech;

    @Option(
            names = "--clips",
            defaultValue = "16",
            description = "Distinct clips (default: ${DEFAULT-VALUE}).")
    int clips;

    @Option(
            names = "--clip-seconds",
            defaultValue = "7.9",
            description = "Length of each clip (default: ${DEFAULT-VALUE}).")
    double clipSeconds;

    @Option(
            names = "--max-new-tokens",
            defaultValue = "64",
            description =
                    "Tokens per segment, for the engine and the service (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(
            names = "--gpus",
            defaultValue = "0",
            description = "GPUs of the service (and GPU 0 for the engine alone) (default: CPU).")
    int gpus;

    @Option(
            names = "--batch-size",
            defaultValue = "16",
            description = "The service's engine batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--fixed-tokens-per-30s",
            defaultValue = "0",
            description =
                    "Equal work for a random-weight model: every segment generates exactly"
                            + " ceil(N x seconds / 30) tokens, stop tokens ignored, in the engine"
                            + " alone and in the service (default: 0, off: --max-new-tokens with"
                            + " stop tokens).")
    int fixedTokensPer30s;

    @Option(
            names = "--language",
            defaultValue = "en",
            description =
                    "Language of the clips, given to the engine alone and to the service alike (so"
                            + " that neither asks the model for it); none: the service asks"
                            + " (default: ${DEFAULT-VALUE}).")
    String language;

    @Option(
            names = "--clip-format",
            defaultValue = "wav",
            description =
                    "File format of the clips, by extension: wav (16 kHz 16-bit, read without"
                            + " ffmpeg), m4a, mp3, flac, ogg (default: ${DEFAULT-VALUE}).")
    String clipFormat;

    @Option(
            names = "--warm-up",
            defaultValue = "1",
            description =
                    "Rounds of all clips at once (under other names, uncached) sent before"
                            + " measuring, so that the JVM has compiled the request path as in a"
                            + " server that has been running; 0: measure from the first request"
                            + " (default: ${DEFAULT-VALUE}).")
    int warmUpRounds;

    @Option(
            names = "--work-dir",
            defaultValue = "target/serve-bench",
            description = "Clips and the service's work folder (default: ${DEFAULT-VALUE}).")
    Path workDir;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    public static void main(String[] args) {
        System.exit(new CommandLine(new ServiceBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        FfmpegBinaries ffmpeg = FfmpegBinaries.bundled();
        List<Path> clipFiles = cutClips(ffmpeg);
        String[] args = {
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--work-dir",
            workDir.resolve("serve").toString(),
            "--max-new-tokens",
            Integer.toString(maxNewTokens),
            "--temperature",
            "0",
            "--segment-duration",
            "30",
            "--rate-limit",
            "100000",
            "--max-concurrent",
            Integer.toString(Math.max(clips, 1)),
            "--batch-size",
            Integer.toString(batchSize),
            "--gpus",
            Integer.toString(gpus),
            "--preload",
            "--fixed-tokens-per-30s",
            Integer.toString(fixedTokensPer30s)
        };
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (model != null) {
            all.addAll(List.of("--model", model));
        }
        ServerConfig config = ServeCommand.config(all.toArray(String[]::new));

        // 1. The engine's own time per clip, alone (batch 1), median of three; then all clips in
        // one batch (the most a batch of them can do), median of three.
        double[] engineMs = new double[clipFiles.size()];
        double engineBatchS;
        AudioDecoder decoder = new AudioDecoder(ffmpeg);
        boolean fixed = fixedTokensPer30s > 0;
        GenerationOptions options =
                GenerationOptions.greedy(
                        fixed
                                ? (int) Math.ceil(fixedTokensPer30s * clipSeconds / 30)
                                : maxNewTokens);
        if (!language.equals("none")) {
            options = options.withLanguage(language);
        }
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, gpus));
        try (OnnxSpeechEngine engine =
                OnnxSpeechEngine.load(
                        new EngineConfig(config.modelDir(), gpus > 0 ? 0 : -1, threads, !fixed))) {
            List<GenerationRequest> requests = new ArrayList<>();
            for (int i = 0; i < clipFiles.size(); i++) {
                float[] samples = pcm(decoder, clipFiles.get(i));
                requests.add(new GenerationRequest(samples, options));
                if (fixed && i >= 3) { // equal work: the first three clips' median stands for all
                    engineMs[i] = median(Arrays.copyOf(engineMs, 3));
                    continue;
                }
                double[] runs = new double[3];
                engine.transcribe(requests.get(i)); // warm
                for (int r = 0; r < runs.length; r++) {
                    long t0 = System.nanoTime();
                    engine.transcribe(requests.get(i));
                    runs[r] = (System.nanoTime() - t0) / 1e6;
                }
                Arrays.sort(runs);
                engineMs[i] = runs[1];
            }
            double[] runs = new double[3];
            for (int r = 0; r < runs.length; r++) {
                long t0 = System.nanoTime();
                engine.transcribe(requests);
                runs[r] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(runs);
            engineBatchS = runs[1];
        }

        try (TranscriptionServer server = TranscriptionServer.start(config)) {
            String base = "http://127.0.0.1:" + server.port();
            post(base, clipFiles.get(0), "warm." + clipFormat); // first batch of the resident job
            for (int round = 0; round < warmUpRounds; round++) {
                allAtOnce(base, clipFiles, "warm" + round + "-");
            }
            Map<String, Long> batchesAtStart = batches(base);
            List<Double> health = new ArrayList<>();
            AtomicBoolean probing = new AtomicBoolean(true);
            Thread prober = new Thread(() -> probe(base, probing, health), "health-prober");
            prober.start();

            // 2. One after another.
            double[] latencyMs = new double[clipFiles.size()];
            long seqStart = System.nanoTime();
            long seqCpu = processCpuNanos();
            for (int i = 0; i < clipFiles.size(); i++) {
                long t0 = System.nanoTime();
                post(base, clipFiles.get(i), "clip" + i + "." + clipFormat);
                latencyMs[i] = (System.nanoTime() - t0) / 1e6;
            }
            double sequentialS = (System.nanoTime() - seqStart) / 1e9;
            double sequentialCpuS = (processCpuNanos() - seqCpu) / 1e9;
            Map<String, Long> batchesBefore = batches(base);

            // 3. All at once.
            long conStart = System.nanoTime();
            long conCpu = processCpuNanos();
            allAtOnce(base, clipFiles, "again");
            double concurrentS = (System.nanoTime() - conStart) / 1e9;
            double concurrentCpuS = (processCpuNanos() - conCpu) / 1e9;
            probing.set(false);
            prober.join();
            Map<String, Long> batchesAfter = batches(base);

            double[] overhead = new double[clipFiles.size()];
            for (int i = 0; i < overhead.length; i++) {
                overhead[i] = latencyMs[i] - engineMs[i];
            }
            double[] h = health.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf(
                    Locale.ROOT,
                    "%nservice bench: %d distinct %.1f s clips of %s, %s, language %s, %d cores,"
                            + " %s, %s clips, warm-up %d round(s) of all clips%n",
                    clipFiles.size(),
                    clipSeconds,
                    speech,
                    fixed
                            ? options.maxNewTokens() + " new tokens each (stop tokens ignored)"
                            : maxNewTokens + " new tokens at most",
                    language.equals("none") ? "asked by the service" : language,
                    Runtime.getRuntime().availableProcessors(),
                    gpus > 0 ? gpus + " GPU(s)" : "CPU",
                    clipFormat,
                    warmUpRounds);
            double audioS = clipFiles.size() * clipSeconds;
            System.out.printf(
                    Locale.ROOT,
                    "| engine alone, per clip (median of 3) | p50 %.0f ms |%n",
                    percentile(engineMs, 50));
            System.out.printf(
                    Locale.ROOT,
                    "| engine alone, all %d clips in one batch (median of 3) | %.2f s (%.1f audio"
                            + " s/s) |%n",
                    clipFiles.size(),
                    engineBatchS,
                    audioS / engineBatchS);
            System.out.printf(
                    Locale.ROOT,
                    "| one request, one after another | p50 %.0f ms, p90 %.0f ms |%n",
                    percentile(latencyMs, 50),
                    percentile(latencyMs, 90));
            System.out.printf(
                    Locale.ROOT,
                    "| overhead beyond the engine's time | p50 %.0f ms, p90 %.0f ms |%n",
                    percentile(overhead, 50),
                    percentile(overhead, 90));
            System.out.printf(
                    Locale.ROOT,
                    "| %d requests one after another | %.2f s |%n",
                    clipFiles.size(),
                    sequentialS);
            System.out.printf(
                    Locale.ROOT,
                    "| %d requests at once | %.2f s (%.2fx sooner; %.1f audio s/s, %.0f%% of the"
                            + " engine's one batch) |%n",
                    clipFiles.size(),
                    concurrentS,
                    sequentialS / concurrentS,
                    audioS / concurrentS,
                    100 * engineBatchS / concurrentS);
            System.out.printf(
                    Locale.ROOT,
                    "| CPU time per request (service, client and their ffmpeg processes) | one after"
                            + " another"
                            + " %.0f ms (%.1f cores busy); at once %.0f ms (%.1f cores busy) |%n",
                    1000 * sequentialCpuS / clipFiles.size(),
                    sequentialCpuS / sequentialS,
                    1000 * concurrentCpuS / clipFiles.size(),
                    concurrentCpuS / concurrentS);
            System.out.printf(
                    Locale.ROOT,
                    "| engine batches (size: count) | one by one %s; all at once %s |%n",
                    minus(batchesBefore, batchesAtStart),
                    minus(batchesAfter, batchesBefore));
            System.out.printf(
                    Locale.ROOT,
                    "| /health while it ran | %d probes, p50 %.1f ms, p99 %.1f ms, max %.1f ms |%n",
                    h.length,
                    percentile(h, 50),
                    percentile(h, 99),
                    h.length == 0 ? 0 : h[h.length - 1]);
        }
        return 0;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    /** Distinct clips cut from the speech file at different offsets, as 16 kHz mono WAV. */
    private List<Path> cutClips(FfmpegBinaries ffmpeg) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(workDir.resolve("clips"));
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < clips; i++) {
            Path clip = dir.resolve("clip" + i + "." + clipFormat);
            double offset = (i * 2.7) % 40;
            Process p =
                    new ProcessBuilder(
                                    ffmpeg.ffmpeg().toString(),
                                    "-hide_banner",
                                    "-loglevel",
                                    "error",
                                    "-y",
                                    "-ss",
                                    Double.toString(offset),
                                    "-t",
                                    Double.toString(clipSeconds),
                                    "-i",
                                    speech.toString(),
                                    "-ac",
                                    "1",
                                    "-ar",
                                    "16000",
                                    clip.toString())
                            .redirectErrorStream(true)
                            .start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException("ffmpeg could not cut " + speech + ": " + log);
            }
            out.add(clip);
        }
        return out;
    }

    private static float[] pcm(AudioDecoder decoder, Path file) throws Exception {
        try (AudioDecoder.Session s =
                decoder.open(new org.apache.flink.core.fs.Path(file.toUri()))) {
            byte[] bytes;
            try (InputStream in = s.pcm()) {
                bytes = in.readAllBytes();
            }
            s.awaitSuccess();
            float[] out = new float[bytes.length / 2];
            for (int i = 0; i < out.length; i++) {
                out[i] = (short) ((bytes[2 * i] & 0xff) | (bytes[2 * i + 1] << 8)) / 32768f;
            }
            return out;
        }
    }

    /** {@code POST /transcribe/json} with {@code no_cache}; fails unless 200. */
    private Void post(String base, Path clip, String name) throws Exception {
        String boundary = "----bench" + UUID.randomUUID();
        byte[] head =
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                                + name
                                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] audio = Files.readAllBytes(clip);
        byte[] body = new byte[head.length + audio.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(audio, 0, body, head.length, audio.length);
        System.arraycopy(tail, 0, body, head.length + audio.length, tail.length);
        HttpResponse<String> r =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                base
                                                        + "/transcribe/json?no_cache=true"
                                                        + (language.equals("none")
                                                                ? ""
                                                                : "&language=" + language)))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(name + ": " + r.statusCode() + " " + r.body());
        }
        return null;
    }

    private void probe(String base, AtomicBoolean probing, List<Double> times) {
        while (probing.get()) {
            long t0 = System.nanoTime();
            try {
                http.send(
                        HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                synchronized (times) {
                    times.add((System.nanoTime() - t0) / 1e6);
                }
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (IOException e) {
                throw new IllegalStateException("/health did not answer", e);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Sends every clip at once, as {@code <prefix><i>.<format>}, and waits for all answers. */
    private void allAtOnce(String base, List<Path> clipFiles, String prefix) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clipFiles.size());
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < clipFiles.size(); i++) {
                Path clip = clipFiles.get(i);
                String name = prefix + i + "." + clipFormat;
                all.add(pool.submit(() -> post(base, clip, name)));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    /** Batch counts by size in {@code after} and not in {@code before}. */
    private static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
        Map<String, Long> d = new TreeMap<>(Comparator.comparingInt(Integer::parseInt));
        after.forEach(
                (size, n) -> {
                    long diff = n - before.getOrDefault(size, 0L);
                    if (diff > 0) {
                        d.put(size, diff);
                    }
                });
        return d;
    }

    /** The engine's batch counts by size, from {@code /health}. */
    private Map<String, Long> batches(String base) throws Exception {
        // The figures follow the task managers' heartbeats: give them a moment.
        TimeUnit.MILLISECONDS.sleep(1500);
        JsonNode h =
                JSON.readTree(
                        http.send(
                                        HttpRequest.newBuilder(URI.create(base + "/health"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body());
        Map<String, Long> counts = new TreeMap<>(Comparator.comparingInt(Integer::parseInt));
        h.path("engine_batches")
                .fields()
                .forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asLong()));
        return counts;
    }

    private static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return 0;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int i = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, i))];
    }

    /**
     * CPU time of this process, all threads, plus that of the child processes it has reaped
     * (ffprobe and ffmpeg, which the JVM's own figure leaves out), in nanoseconds.
     */
    private static long processCpuNanos() {
        long own =
                ((com.sun.management.OperatingSystemMXBean)
                                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                        .getProcessCpuTime();
        return own + childCpuNanos();
    }

    /** cutime + cstime of /proc/self/stat (fields 16 and 17), in nanoseconds; 0 elsewhere. */
    private static long childCpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name, which is in parentheses and may hold spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            long ticks = Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks * 1_000_000_000L / CLOCK_TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Linux's USER_HZ, the unit of /proc's process times, on every platform it runs on. */
    private static final long CLOCK_TICKS_PER_SECOND = 100;
}
