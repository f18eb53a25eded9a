package dev.omniscribe.models.cli;

import dev.omniscribe.models.BatchLimit;
import dev.omniscribe.models.DecodeLoop;
import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.models.Transcription;
import dev.omniscribe.models.audio.LogMelSpectrogram;
import dev.omniscribe.models.audio.WavReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/engine-bench}: throughput of the log-mel front end (× real time on one core) and of
 * the whole engine (audio seconds per wall second, greedy, fixed token limit) at given batch sizes.
 * A measurement tool, not a test.
 */
@Command(
        name = "engine-bench",
        mixinStandardHelpOptions = true,
        description = "Benchmark log-mel features and the engine on WAV files.")
public final class EngineBench implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "model folder")
    Path model;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads")
    int threads;

    @Option(
            names = "--max-new-tokens",
            defaultValue = "24",
            description = "token limit per segment (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(
            names = "--batch-sizes",
            defaultValue = "1,8",
            split = ",",
            description = "batch sizes to measure (default: ${DEFAULT-VALUE})")
    List<Integer> batchSizes;

    @Option(
            names = "--max-prefill-scores",
            defaultValue = "" + Integer.MAX_VALUE,
            description =
                    "most elements of one generation's prefill attention scores; larger batches"
                            + " run as several generations (default: ${DEFAULT-VALUE}, 2^31 - 1)")
    long maxPrefillScores;

    @Option(
            names = "--ragged-min-tokens",
            defaultValue = "0",
            description =
                    "ragged work: each segment's token limit drawn uniformly (seeded) from this to"
                            + " --max-new-tokens; 0: every segment gets --max-new-tokens (default:"
                            + " ${DEFAULT-VALUE})")
    int raggedMinTokens;

    @Option(names = "--repeat", defaultValue = "3", description = "timed repetitions")
    int repeat;

    @Option(
            names = "--segment-seconds",
            defaultValue = "10",
            description =
                    "cut the concatenated files into segments of this length, as the pipeline"
                            + " does; 0 keeps whole files (default: ${DEFAULT-VALUE})")
    double segmentSeconds;

    @Option(names = "--gpu", defaultValue = "-1", description = "CUDA device; -1 = CPU")
    int gpu;

    @Option(
            names = "--decode-loop",
            defaultValue = "AUTO",
            description = "AUTO, GRAPH (generate.onnx) or STEPS (Java loop over decoder.onnx)")
    DecodeLoop decodeLoop;

    @Option(
            names = "--ignore-eos",
            description = "never stop at a stop id: every segment gets exactly --max-new-tokens")
    boolean ignoreEos;

    @Option(
            names = "--synthetic-seconds",
            defaultValue = "0",
            description =
                    "no files: one segment of this many seconds of seeded synthetic audio (tones"
                            + " and noise)")
    double syntheticSeconds;

    @Parameters(arity = "0..*", paramLabel = "FILE", description = "16 kHz mono PCM16 WAV files")
    List<Path> files = new ArrayList<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new EngineBench()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        ModelSpec spec = ModelSpec.load(model);
        ModelSpec.Audio a = spec.audio();
        List<float[]> files = new ArrayList<>();
        int total = 0;
        for (Path f : this.files) {
            float[] x = WavReader.read(f, a.samplingRate());
            files.add(x);
            total += x.length;
        }
        if (syntheticSeconds > 0) {
            float[] x = synthetic((int) Math.round(syntheticSeconds * a.samplingRate()));
            files.add(x);
            total += x.length;
        }
        if (raggedMinTokens < 0 || raggedMinTokens > maxNewTokens) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--ragged-min-tokens must be between 0 and --max-new-tokens");
        }
        if (files.isEmpty()) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "give WAV files or --synthetic-seconds");
        }
        List<float[]> audio = new ArrayList<>();
        if (segmentSeconds > 0) {
            // Equal segments of the concatenated audio (the last one may be shorter).
            float[] all = new float[total];
            int at = 0;
            for (float[] x : files) {
                System.arraycopy(x, 0, all, at, x.length);
                at += x.length;
            }
            int len = (int) Math.round(segmentSeconds * a.samplingRate());
            for (int from = 0; from < total; from += len) {
                audio.add(java.util.Arrays.copyOfRange(all, from, Math.min(total, from + len)));
            }
        } else {
            audio.addAll(files);
        }
        double seconds = (double) total / a.samplingRate();
        System.out.printf(
                Locale.ROOT,
                "%d files, %.1f s of audio in %d segments; %d CPU cores visible; model %s%n",
                files.size(),
                seconds,
                audio.size(),
                Runtime.getRuntime().availableProcessors(),
                spec.modelName());

        // 1. Log-mel features on the calling thread.
        LogMelSpectrogram mel =
                new LogMelSpectrogram(
                        a.samplingRate(), a.nFft(), a.hopLength(), a.nMels(), a.maxSamples());
        for (int w = 0; w < 3; w++) {
            audio.forEach(mel::compute);
        }
        long t0 = System.nanoTime();
        for (int r = 0; r < repeat * 5; r++) {
            audio.forEach(mel::compute);
        }
        double melWall = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "mel features: %.0f× real time on one core (%.2f ms per audio second)%n",
                seconds * repeat * 5 / melWall,
                melWall * 1000 / (seconds * repeat * 5));

        // 2. The engine, greedy with a fixed token limit.
        GenerationOptions options = GenerationOptions.greedy(maxNewTokens);
        long l0 = System.nanoTime();
        try (OnnxSpeechEngine engine =
                OnnxSpeechEngine.load(
                        new EngineConfig(model, gpu, threads),
                        decodeLoop,
                        !ignoreEos,
                        new BatchLimit(maxPrefillScores))) {
            System.out.printf(
                    Locale.ROOT,
                    "engine loaded on %s in %.1f s (generation loop %s, %s weights)%s%n",
                    engine.device(),
                    (System.nanoTime() - l0) / 1e9,
                    engine.generatesInGraph() ? "in the graph" : "in Java",
                    spec.weights(),
                    memory(engine));
            for (int batch : batchSizes) {
                // Every file at least once, cycled to fill whole batches.
                int count = (Math.max(batch, audio.size()) + batch - 1) / batch * batch;
                List<List<GenerationRequest>> batches = new ArrayList<>();
                double totalSeconds = 0;
                java.util.SplittableRandom ragged = new java.util.SplittableRandom(7);
                for (int i = 0; i < count; i++) {
                    if (i % batch == 0) {
                        batches.add(new ArrayList<>());
                    }
                    float[] x = audio.get(i % audio.size());
                    GenerationOptions o =
                            raggedMinTokens > 0
                                    ? GenerationOptions.greedy(
                                            ragged.nextInt(raggedMinTokens, maxNewTokens + 1))
                                    : options;
                    batches.get(batches.size() - 1).add(new GenerationRequest(x, o));
                    totalSeconds += (double) x.length / a.samplingRate();
                }
                batches.forEach(engine::transcribe); // warm-up
                long tokens = 0;
                long s0 = System.nanoTime();
                for (int r = 0; r < repeat; r++) {
                    for (List<GenerationRequest> requests : batches) {
                        for (Transcription t : engine.transcribe(requests)) {
                            tokens += t.tokenIds().length;
                        }
                    }
                }
                double wall = (System.nanoTime() - s0) / 1e9;
                // The same batches with one new token: encoder + prefill alone; the difference is
                // decode time, per step.
                List<List<GenerationRequest>> firstOnly = new ArrayList<>();
                for (List<GenerationRequest> requests : batches) {
                    firstOnly.add(
                            requests.stream()
                                    .map(
                                            r ->
                                                    new GenerationRequest(
                                                            r.samples(),
                                                            GenerationOptions.greedy(1)))
                                    .toList());
                }
                firstOnly.forEach(engine::transcribe);
                long p0 = System.nanoTime();
                for (int r = 0; r < repeat; r++) {
                    firstOnly.forEach(engine::transcribe);
                }
                double prefill = (System.nanoTime() - p0) / 1e9;
                double stepMs =
                        maxNewTokens > 1
                                ? (wall - prefill)
                                        * 1000
                                        / (repeat * batches.size() * (maxNewTokens - 1.0))
                                : Double.NaN;
                System.out.printf(
                        Locale.ROOT,
                        "engine batch %d%s (%d ORT threads): %.1f audio s/s, %.1f generated tokens/s"
                                + " (%d segments, %.1f s audio per pass, %.0f ms per pass; first"
                                + " token alone %.0f ms per batch; decode %.2f ms per step)%s%n",
                        batch,
                        raggedMinTokens > 0
                                ? ", ragged " + raggedMinTokens + "-" + maxNewTokens + " tokens"
                                : "",
                        threads,
                        totalSeconds * repeat / wall,
                        tokens / wall,
                        count,
                        totalSeconds,
                        wall * 1000 / repeat,
                        prefill * 1000 / (repeat * batches.size()),
                        stepMs,
                        memory(engine));
            }
        }
        return 0;
    }

    private static String memory(OnnxSpeechEngine engine) {
        return engine.gpuMemory()
                .map(
                        m ->
                                String.format(
                                        Locale.ROOT,
                                        "; GPU memory: process %.1f GiB, device %.1f / %.1f GiB",
                                        m.processBytes() / 1073741824.0,
                                        m.usedBytes() / 1073741824.0,
                                        m.totalBytes() / 1073741824.0))
                .orElse("");
    }

    /** Seeded speech-like test signal: a few gliding tones with noise, amplitude ~0.3. */
    private static float[] synthetic(int samples) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        float[] x = new float[samples];
        double phase1 = 0;
        double phase2 = 0;
        for (int i = 0; i < samples; i++) {
            double t = i / 16000.0;
            phase1 += 2 * Math.PI * (180 + 60 * Math.sin(2 * Math.PI * 0.7 * t)) / 16000.0;
            phase2 += 2 * Math.PI * (900 + 300 * Math.sin(2 * Math.PI * 0.3 * t)) / 16000.0;
            double envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t);
            x[i] =
                    (float)
                            (envelope * (0.2 * Math.sin(phase1) + 0.1 * Math.sin(phase2))
                                    + 0.02 * (random.nextDouble() - 0.5));
        }
        return x;
    }
}
