package dev.omniscribe.pipeline;

import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.audio.AudioDecoder;
import dev.omniscribe.udfs.audio.FfmpegBinaries;
import dev.omniscribe.udfs.audio.Segmenter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Throughput of the job without the model's cost: audio hours per wall hour for decode, segment,
 * transcribe (tiny model, one new token), merge and write, on a folder of mixed audio.
 *
 * <p>The audio is the bundled speech samples looped to 5-10 minute files in five formats (made
 * once, with the bundled ffmpeg, and reused). Then the job runs on the embedded mini cluster and
 * the figures are printed, with the tiny model's own cost measured separately.
 */
@Command(
        name = "benchmark",
        mixinStandardHelpOptions = true,
        description = "Audio hours per wall hour of the job with the tiny model (1 new token).")
public final class Benchmark implements Callable<Integer> {

    @Option(
            names = "--dir",
            defaultValue = "target/benchmark",
            description =
                    "Work folder (audio is made once in DIR/audio) (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(
            names = "--samples",
            defaultValue = "samples",
            description = "Speech to loop into the benchmark audio (default: ${DEFAULT-VALUE}).")
    Path samples;

    @Option(
            names = "--parallelism",
            defaultValue = "1",
            description = "Engines (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "ONNX Runtime threads per engine (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--decode-parallelism",
            description = "Decoders (default: the number of CPU cores).")
    Integer decodeParallelism;

    /** One benchmark file: a looped sample in one format. */
    private record Spec(String name, String sample, int minutes, String... encoder) {}

    private static final List<Spec> SPECS =
            List.of(
                    new Spec(
                            "flac/a.flac",
                            "en/meeting.m4a",
                            10,
                            "-ac",
                            "2",
                            "-ar",
                            "44100",
                            "-c:a",
                            "flac"),
                    new Spec(
                            "flac/b.flac",
                            "en/welcome.mp3",
                            10,
                            "-ac",
                            "2",
                            "-ar",
                            "44100",
                            "-c:a",
                            "flac"),
                    new Spec(
                            "flac/c.flac",
                            "zh/greeting.ogg",
                            10,
                            "-ac",
                            "2",
                            "-ar",
                            "44100",
                            "-c:a",
                            "flac"),
                    new Spec(
                            "mp3/a.mp3",
                            "en/meeting.m4a",
                            10,
                            "-ac",
                            "1",
                            "-ar",
                            "22050",
                            "-c:a",
                            "libmp3lame",
                            "-b:a",
                            "32k"),
                    new Spec(
                            "mp3/b.mp3",
                            "zh/greeting.ogg",
                            10,
                            "-ac",
                            "1",
                            "-ar",
                            "22050",
                            "-c:a",
                            "libmp3lame",
                            "-b:a",
                            "32k"),
                    new Spec(
                            "m4a/a.m4a",
                            "en/welcome.mp3",
                            10,
                            "-ac",
                            "2",
                            "-ar",
                            "44100",
                            "-c:a",
                            "aac",
                            "-b:a",
                            "48k"),
                    new Spec("wav/a.wav", "en/meeting.m4a", 5, "-ac", "1", "-ar", "16000"),
                    new Spec("wav/b.wav", "zh/greeting.ogg", 5, "-ac", "2", "-ar", "48000"),
                    new Spec(
                            "opus/a.opus",
                            "en/meeting.m4a",
                            5,
                            "-ac",
                            "1",
                            "-c:a",
                            "libopus",
                            "-b:a",
                            "24k"));

    public static void main(String[] args) {
        System.exit(new CommandLine(new Benchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String home = System.getenv(ModelFolder.HOME_ENV);
        if (home != null && !samples.isAbsolute() && !Files.isDirectory(samples)) {
            samples = Path.of(home).resolve(samples);
        }
        Path audio = dir.resolve("audio");
        double minutes = makeAudio(audio);
        Path tiny = Path.of(ModelFolder.TINY_MODEL).toAbsolutePath();
        if (home != null) {
            tiny = Path.of(home).resolve(ModelFolder.TINY_MODEL);
        }

        double modelMsPerAudioSecond = modelCost(tiny, threads);
        int decoders =
                decodeParallelism != null
                        ? decodeParallelism
                        : Runtime.getRuntime().availableProcessors();
        double decodeSeconds = decodeAndSegment(audio, decoders);

        Path out = dir.resolve("out");
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--input",
                                audio.toString(),
                                "--output",
                                out.toString(),
                                "--model",
                                tiny.toString(),
                                "--max-new-tokens",
                                "1",
                                "--temperature",
                                "0",
                                "--overwrite",
                                "--parallelism",
                                Integer.toString(parallelism)));
        if (decodeParallelism != null) {
            args.addAll(List.of("--decode-parallelism", decodeParallelism.toString()));
        }
        long start = System.nanoTime();
        int code = TranscribeCommand.run(args.toArray(String[]::new));
        double wall = (System.nanoTime() - start) / 1e9;
        double hours = minutes / 60;
        System.out.printf(
                Locale.ROOT,
                "%nbenchmark: %d files, %.2f h of audio in %.1f s wall (exit %d)%n"
                        + "  throughput: %.0f audio hours per wall hour (%.0fx real time)%n"
                        + "  of which the tiny model (1 new token) costs %.2f ms per audio second"
                        + " (%.1f s of the run)%n"
                        + "  decode + segment alone (%d decoders): %.1f s, %.0fx real time%n"
                        + "  cores: %d, engines: %d, threads per engine: %d%n",
                SPECS.size(),
                hours,
                wall,
                code,
                hours * 3600 / wall,
                hours * 3600 / wall,
                modelMsPerAudioSecond,
                modelMsPerAudioSecond * minutes * 60 / 1000,
                decoders,
                decodeSeconds,
                minutes * 60 / decodeSeconds,
                Runtime.getRuntime().availableProcessors(),
                parallelism,
                threads);
        return code;
    }

    // Makes the benchmark files that are missing; returns the total minutes.
    private double makeAudio(Path audio) throws IOException, InterruptedException {
        FfmpegBinaries ffmpeg = FfmpegBinaries.bundled();
        double minutes = 0;
        for (Spec s : SPECS) {
            Path target = audio.resolve(s.name());
            minutes += s.minutes();
            if (Files.isRegularFile(target)) {
                continue;
            }
            Files.createDirectories(target.getParent());
            Path sample = samples.resolve(s.sample());
            if (!Files.isRegularFile(sample)) {
                throw new IllegalArgumentException("missing sample " + sample);
            }
            Path tmp = target.resolveSibling("." + target.getFileName() + ".part" + ext(target));
            List<String> cmd =
                    new ArrayList<>(
                            List.of(
                                    ffmpeg.ffmpeg().toString(),
                                    "-hide_banner",
                                    "-loglevel",
                                    "error",
                                    "-nostdin",
                                    "-y",
                                    "-stream_loop",
                                    "-1",
                                    "-i",
                                    sample.toString(),
                                    "-t",
                                    Integer.toString(s.minutes() * 60)));
            cmd.addAll(List.of(s.encoder()));
            cmd.add(tmp.toString());
            System.out.println("making " + target + " (" + s.minutes() + " min)");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("ffmpeg failed for " + target + ": " + log);
            }
            Files.move(tmp, target);
        }
        return minutes;
    }

    // Decodes and segments every file (no engine, no Flink) on `decoders` threads; wall seconds.
    private static double decodeAndSegment(Path audio, int decoders) throws Exception {
        List<Path> files;
        try (var walk = Files.walk(audio)) {
            files =
                    walk.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().startsWith("."))
                            .toList();
        }
        AudioDecoder decoder = new AudioDecoder(FfmpegBinaries.bundled());
        ExecutorService pool = Executors.newFixedThreadPool(decoders);
        long start = System.nanoTime();
        List<Future<Long>> results = new ArrayList<>();
        for (Path f : files) {
            results.add(
                    pool.submit(
                            () -> {
                                long[] samples = {0};
                                Segmenter segmenter =
                                        new Segmenter(
                                                SegmentationSettings.DEFAULT,
                                                seg -> samples[0] += seg.pcm().length / 2);
                                try (AudioDecoder.Session session =
                                        decoder.open(
                                                new org.apache.flink.core.fs.Path(f.toUri()))) {
                                    byte[] buf = new byte[1 << 16];
                                    int n;
                                    while ((n = session.pcm().read(buf)) >= 0) {
                                        segmenter.accept(buf, 0, n);
                                    }
                                    session.awaitSuccess();
                                }
                                segmenter.finish();
                                return samples[0];
                            }));
        }
        for (Future<Long> r : results) {
            r.get();
        }
        pool.shutdown();
        return (System.nanoTime() - start) / 1e9;
    }

    private static String ext(Path p) {
        String n = p.getFileName().toString();
        return n.substring(n.lastIndexOf('.'));
    }

    // The tiny engine alone on four 30 s segments, one new token: ms per audio second.
    private static double modelCost(Path tiny, int threads) {
        float[] samples = new float[30 * 16_000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (float) (0.1 * Math.sin(i * 0.05));
        }
        GenerationOptions one = GenerationOptions.greedy(1);
        List<GenerationRequest> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batch.add(new GenerationRequest(samples, one));
        }
        try (OnnxSpeechEngine engine = OnnxSpeechEngine.load(new EngineConfig(tiny, -1, threads))) {
            engine.transcribe(batch); // warm-up
            long start = System.nanoTime();
            int rounds = 3;
            for (int r = 0; r < rounds; r++) {
                engine.transcribe(batch);
            }
            double ms = (System.nanoTime() - start) / 1e6;
            return ms / (rounds * 4 * 30.0);
        }
    }
}
