package dev.omniscribe.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.pipeline.SpeechCorpus.Utterance;
import dev.omniscribe.udfs.SpeechDetection;
import dev.omniscribe.udfs.audio.SileroVad;
import dev.omniscribe.udfs.audio.SpeechSegmenter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Speech detection measured on audio with known speech times ({@link SpeechCorpus}): the job runs
 * on the corpus with {@code --vad off} (the old cuts) and {@code --vad on}, then the segments of
 * the JSON and the cues of the SRT are compared with the truth, and the VAD's own speed is timed.
 *
 * <pre>
 *   bin/transcribe speech-benchmark [--dir DIR] [--speed-only]
 * </pre>
 *
 * <p>The mono files are measured from the mixed runs; the stereo call, whose speakers overlap, from
 * a run with {@code --channels split}, each channel against its own speaker. Prints: segment
 * boundary error p90 (start and end of each turn of speech against the segment that holds most of
 * it), the most non-speech inside one segment (in all, and the longest stretch), segments and text
 * for a 10-minute file of music and noise, SRT cue start error p90 (each turn's first cue against
 * the turn's start), and the VAD's speed on one thread.
 */
public final class SpeechBenchmark {

    /** Utterances closer than this belong to one turn (the segmenter's longest kept pause). */
    static final double TURN_GAP_S = SpeechDetection.DEFAULT.maxPauseMs() / 1000.0;

    static final String MUSIC_FILE = "music-noise.wav";
    static final String CALL_FILE = "call.wav";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpeechBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("target", "speech-benchmark");
        boolean speedOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--speed-only" -> speedOnly = true;
                default -> {
                    System.err.println(
                            "usage: speech-benchmark [--dir DIR] [--speed-only]; unknown: "
                                    + args[i]);
                    System.exit(2);
                }
            }
        }
        Path corpus = dir.resolve("corpus");
        Path truthFile = dir.resolve("truth.tsv");
        if (!Files.isRegularFile(truthFile)) {
            System.out.println("making the corpus in " + corpus + " ...");
            writeTruth(truthFile, make(corpus));
        }
        Map<String, List<Utterance>> truth = readTruth(truthFile);
        if (!speedOnly) {
            for (String vad : List.of("off", "on")) {
                Path out = dir.resolve("out-vad-" + vad);
                int rc = runJob(corpus, out, vad, "mixed");
                if (rc != 0) {
                    System.err.println("the job failed with exit code " + rc);
                    System.exit(3);
                }
                // The call's two speakers overlap when mixed: it is measured split, below.
                Map<String, List<Utterance>> mono = new TreeMap<>(truth);
                mono.remove(CALL_FILE);
                report("--vad " + vad + " (mono files)", out, mono, false);
            }
            Path callIn = dir.resolve("call-only");
            Files.createDirectories(callIn);
            Files.copy(
                    corpus.resolve(CALL_FILE),
                    callIn.resolve(CALL_FILE),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Path splitOut = dir.resolve("out-split");
            if (runJob(callIn, splitOut, "on", "split") != 0) {
                System.exit(3);
            }
            report(
                    "--vad on --channels split (" + CALL_FILE + " only)",
                    splitOut,
                    Map.of(CALL_FILE, truth.get(CALL_FILE)),
                    true);
        }
        speed(corpus);
    }

    /** Makes the corpus; returns the truth per file name. */
    static Map<String, List<Utterance>> make(Path corpus) throws IOException {
        SpeechCorpus.Voices voices = new SpeechCorpus.Voices();
        Map<String, List<Utterance>> truth = new TreeMap<>();
        for (int f = 1; f <= 8; f++) {
            Random random = new Random(f);
            SpeechCorpus.Track track = new SpeechCorpus.Track(1, 90);
            double background = f % 2 == 0 ? 0.003 : 0;
            List<Utterance> u = SpeechCorpus.fill(track, 0, 0, 90, voices, random, background);
            String name = String.format(Locale.ROOT, "speech-%02d.wav", f);
            track.write(corpus.resolve(name));
            truth.put(name, u);
        }
        // A call: one speaker per channel, each channel filled on its own.
        Random random = new Random(100);
        SpeechCorpus.Track call = new SpeechCorpus.Track(2, 120);
        List<Utterance> callTruth = new ArrayList<>();
        callTruth.addAll(SpeechCorpus.fill(call, 0, 0, 120, voices, random, 0.002));
        callTruth.addAll(SpeechCorpus.fill(call, 1, 0.7, 120, voices, random, 0));
        callTruth.sort(Comparator.comparingDouble(Utterance::startS));
        call.write(corpus.resolve(CALL_FILE));
        truth.put(CALL_FILE, callTruth);
        // Ten minutes of music and noise, no speech.
        Random noise = new Random(200);
        SpeechCorpus.Track music = new SpeechCorpus.Track(1, 600);
        for (int s = 0; s < 600; s += 20) {
            if ((s / 20) % 2 == 0) {
                music.music(s, s + 20, noise);
            } else {
                music.noise(s, s + 20, 0.03 + noise.nextDouble() * 0.05, noise);
            }
        }
        music.write(corpus.resolve(MUSIC_FILE));
        truth.put(MUSIC_FILE, List.of());
        return truth;
    }

    private static void writeTruth(Path file, Map<String, List<Utterance>> truth)
            throws IOException {
        StringBuilder sb = new StringBuilder("file\tstart\tend\tvoice\tchannel\n");
        for (var e : truth.entrySet()) {
            for (Utterance u : e.getValue()) {
                sb.append(
                        String.format(
                                Locale.ROOT,
                                "%s\t%.4f\t%.4f\t%s\t%d%n",
                                e.getKey(),
                                u.startS(),
                                u.endS(),
                                u.voice(),
                                u.channel()));
            }
            if (e.getValue().isEmpty()) {
                sb.append(e.getKey()).append("\t\t\t\t\n");
            }
        }
        Files.writeString(file, sb.toString());
    }

    private static Map<String, List<Utterance>> readTruth(Path file) throws IOException {
        Map<String, List<Utterance>> truth = new TreeMap<>();
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            List<Utterance> list = truth.computeIfAbsent(f[0], k -> new ArrayList<>());
            if (!f[1].isEmpty()) {
                list.add(
                        new Utterance(
                                Double.parseDouble(f[1]),
                                Double.parseDouble(f[2]),
                                f[3],
                                Integer.parseInt(f[4])));
            }
        }
        return truth;
    }

    private static int runJob(Path in, Path out, String vad, String channels) {
        long start = System.nanoTime();
        int rc =
                TranscribeCommand.run(
                        "--input",
                        in.toString(),
                        "--output",
                        out.toString(),
                        "--vad",
                        vad,
                        "--channels",
                        channels,
                        "--max-new-tokens",
                        "8",
                        "--formats",
                        "json,srt",
                        "--overwrite");
        System.out.printf(
                Locale.ROOT,
                "job --vad %s --channels %s: %.1f s%n",
                vad,
                channels,
                (System.nanoTime() - start) / 1e9);
        return rc;
    }

    /** A turn of speech: utterances less than {@link #TURN_GAP_S} apart. */
    record Turn(double startS, double endS, int channel) {}

    static List<Turn> turns(List<Utterance> utterances, boolean byChannel) {
        List<Turn> turns = new ArrayList<>();
        Map<Integer, List<Utterance>> groups = new TreeMap<>();
        for (Utterance u : utterances) {
            groups.computeIfAbsent(byChannel ? u.channel() : 0, k -> new ArrayList<>()).add(u);
        }
        for (var g : groups.entrySet()) {
            List<Utterance> us = new ArrayList<>(g.getValue());
            us.sort(Comparator.comparingDouble(Utterance::startS));
            double s = -1;
            double e = -1;
            for (Utterance u : us) {
                if (s >= 0 && u.startS() - e < TURN_GAP_S) {
                    e = Math.max(e, u.endS());
                    continue;
                }
                if (s >= 0) {
                    turns.add(new Turn(s, e, g.getKey()));
                }
                s = u.startS();
                e = u.endS();
            }
            if (s >= 0) {
                turns.add(new Turn(s, e, g.getKey()));
            }
        }
        turns.sort(Comparator.comparingDouble(Turn::startS));
        return turns;
    }

    record Segment(double startS, double endS, int channel, String text) {}

    record Cue(double startS, double endS, int channel) {}

    private static void report(
            String label, Path out, Map<String, List<Utterance>> truth, boolean byChannel)
            throws IOException {
        List<Double> boundary = new ArrayList<>();
        List<Double> cueErrors = new ArrayList<>();
        double maxNonSpeech = 0;
        double longestPause = 0;
        int segments = 0;
        int missed = 0;
        int turnCount = 0;
        String music = "";
        for (var e : truth.entrySet()) {
            String name = e.getKey();
            JsonNode json = JSON.readTree(out.resolve(name + ".json").toFile());
            List<Segment> segs = new ArrayList<>();
            for (JsonNode s : json.get("segments")) {
                segs.add(
                        new Segment(
                                s.get("start").asDouble(),
                                s.get("end").asDouble(),
                                s.path("channel").asInt(0),
                                s.get("text").asText()));
            }
            List<Cue> cues = cues(Files.readString(out.resolve(name + ".srt")));
            if (name.equals(MUSIC_FILE)) {
                music =
                        String.format(
                                Locale.ROOT,
                                "%s: %d segments, %d characters of text, model %s (null: no"
                                        + " engine call), duration %.1f s",
                                name,
                                segs.size(),
                                json.get("text").asText().length(),
                                json.get("model").isNull() ? "null" : json.get("model").asText(),
                                json.get("duration").asDouble());
                continue;
            }
            List<Utterance> utterances = e.getValue();
            List<Turn> turns = turns(utterances, byChannel);
            turnCount += turns.size();
            segments += segs.size();
            for (Turn t : turns) {
                Segment best = null;
                double bestOverlap = 0;
                for (Segment s : segs) {
                    if (byChannel && s.channel() != t.channel() + 1) {
                        continue;
                    }
                    double o = Math.min(s.endS(), t.endS()) - Math.max(s.startS(), t.startS());
                    if (o > bestOverlap) {
                        bestOverlap = o;
                        best = s;
                    }
                }
                if (best == null) {
                    missed++;
                } else {
                    boundary.add(Math.abs(best.startS() - t.startS()));
                    boundary.add(Math.abs(best.endS() - t.endS()));
                }
                Cue first = null;
                for (Cue c : cues) {
                    if (byChannel && c.channel() != t.channel() + 1) {
                        continue;
                    }
                    if (c.endS() > t.startS() && c.startS() < t.endS()) {
                        first = c;
                        break;
                    }
                }
                if (first != null) {
                    cueErrors.add(Math.abs(first.startS() - t.startS()));
                }
            }
            for (Segment s : segs) {
                double[] ns = nonSpeech(s, utterances, byChannel);
                maxNonSpeech = Math.max(maxNonSpeech, ns[0]);
                longestPause = Math.max(longestPause, ns[1]);
            }
        }
        System.out.println("== " + label);
        System.out.printf(
                Locale.ROOT,
                "turns of speech %d, segments %d, turns without a segment %d%n",
                turnCount,
                segments,
                missed);
        System.out.printf(
                Locale.ROOT,
                "segment boundary error p90 %.3f s (p50 %.3f s, max %.3f s; %d boundaries)%n",
                percentile(boundary, 0.9),
                percentile(boundary, 0.5),
                percentile(boundary, 1.0),
                boundary.size());
        System.out.printf(
                Locale.ROOT,
                "most non-speech inside one segment %.2f s in all, longest stretch %.2f s%n",
                maxNonSpeech,
                longestPause);
        System.out.printf(
                Locale.ROOT,
                "SRT cue start error p90 %.3f s (p50 %.3f s, max %.3f s; %d turns)%n",
                percentile(cueErrors, 0.9),
                percentile(cueErrors, 0.5),
                percentile(cueErrors, 1.0),
                cueErrors.size());
        if (!music.isEmpty()) {
            System.out.println(music);
        }
    }

    // Non-speech in a segment: in all, and its longest stretch, in seconds.
    private static double[] nonSpeech(Segment s, List<Utterance> utterances, boolean byChannel) {
        List<double[]> speech = new ArrayList<>();
        for (Utterance u : utterances) {
            if (byChannel && u.channel() + 1 != s.channel()) {
                continue;
            }
            double a = Math.max(s.startS(), u.startS());
            double b = Math.min(s.endS(), u.endS());
            if (b > a) {
                speech.add(new double[] {a, b});
            }
        }
        speech.sort(Comparator.comparingDouble(x -> x[0]));
        double total = 0;
        double longest = 0;
        double t = s.startS();
        for (double[] x : speech) {
            if (x[0] > t) {
                total += x[0] - t;
                longest = Math.max(longest, x[0] - t);
            }
            t = Math.max(t, x[1]);
        }
        if (s.endS() > t) {
            total += s.endS() - t;
            longest = Math.max(longest, s.endS() - t);
        }
        return new double[] {total, longest};
    }

    private static final Pattern TIMING =
            Pattern.compile("(\\d+):(\\d+):(\\d+),(\\d+) --> (\\d+):(\\d+):(\\d+),(\\d+)");
    private static final Pattern LABEL = Pattern.compile("^\\[ch(\\d+)\\]");

    static List<Cue> cues(String srt) {
        List<Cue> cues = new ArrayList<>();
        String[] lines = srt.split("\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = TIMING.matcher(lines[i]);
            if (m.find()) {
                int channel = 0;
                if (i + 1 < lines.length) {
                    Matcher l = LABEL.matcher(lines[i + 1]);
                    if (l.find()) {
                        channel = Integer.parseInt(l.group(1));
                    }
                }
                cues.add(new Cue(seconds(m, 1), seconds(m, 5), channel));
            }
        }
        cues.sort(Comparator.comparingDouble(Cue::startS));
        return cues;
    }

    private static double seconds(Matcher m, int g) {
        return Integer.parseInt(m.group(g)) * 3600
                + Integer.parseInt(m.group(g + 1)) * 60
                + Integer.parseInt(m.group(g + 2))
                + Integer.parseInt(m.group(g + 3)) / 1000.0;
    }

    static double percentile(List<Double> values, double q) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int i = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    // The VAD and speech segmenter alone, on one thread, over every mono file of the corpus.
    private static void speed(Path corpus) throws IOException {
        List<byte[]> files = new ArrayList<>();
        long samples = 0;
        try (var list = Files.list(corpus)) {
            for (Path p : list.sorted().toList()) {
                byte[] wav = Files.readAllBytes(p);
                if (wav[22] != 1) {
                    continue; // the stereo call
                }
                byte[] pcm = java.util.Arrays.copyOfRange(wav, 44, wav.length);
                files.add(pcm);
                samples += pcm.length / 2;
            }
        }
        try (SileroVad vad = new SileroVad()) {
            // The model alone, silero's way (one window per call) against batched blocks.
            float[] clip = new float[(int) Math.min(samples, 300L * SpeechCorpus.RATE)];
            byte[] first = files.get(0);
            for (int i = 0; i < clip.length && 2 * i + 1 < first.length; i++) {
                clip[i] = (short) ((first[2 * i + 1] << 8) | (first[2 * i] & 0xff)) / 32768f;
            }
            for (int rows : new int[] {1, 16}) {
                SileroVad.Stream stream =
                        rows == 1 ? vad.stream(1, 250, (w, p) -> {}) : vad.stream((w, p) -> {});
                long start = System.nanoTime();
                stream.accept(clip, 0, clip.length);
                stream.finish();
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(
                        Locale.ROOT,
                        "VAD alone, one thread, %s: %.0fx real time%n",
                        rows == 1 ? "one window per call" : "blocks of 16 rows",
                        clip.length / (double) SpeechCorpus.RATE / seconds);
            }
            java.lang.management.ThreadMXBean cpu =
                    java.lang.management.ManagementFactory.getThreadMXBean();
            for (int round = 1; round <= 3; round++) {
                int[] segments = {0};
                long start = System.nanoTime();
                long cpuStart = cpu.getCurrentThreadCpuTime();
                for (byte[] pcm : files) {
                    SpeechSegmenter s =
                            new SpeechSegmenter(
                                    30_000,
                                    10_000,
                                    SpeechDetection.DEFAULT,
                                    vad,
                                    seg -> segments[0]++);
                    for (int o = 0; o < pcm.length; o += 1 << 16) {
                        s.accept(pcm, o, Math.min(1 << 16, pcm.length - o));
                    }
                    s.finish();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double cpuSeconds = (cpu.getCurrentThreadCpuTime() - cpuStart) / 1e9;
                double audio = samples / (double) SpeechCorpus.RATE;
                // ONNX Runtime runs the model on the calling thread (one intra-op thread), so the
                // thread's CPU time is the work of one core, whatever else the machine runs.
                System.out.printf(
                        Locale.ROOT,
                        "VAD + speech segmenter, one thread, round %d: %.1f s of audio in %.2f s"
                                + " wall = %.0fx real time; %.2f s of the thread's CPU = %.0fx real"
                                + " time per core (%d segments)%n",
                        round,
                        audio,
                        seconds,
                        audio / seconds,
                        cpuSeconds,
                        audio / cpuSeconds,
                        segments[0]);
            }
        }
        System.out.println(
                "(CPU: "
                        + Runtime.getRuntime().availableProcessors()
                        + " cores visible; load average "
                        + Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII)
                                .strip()
                        + ")");
    }
}
