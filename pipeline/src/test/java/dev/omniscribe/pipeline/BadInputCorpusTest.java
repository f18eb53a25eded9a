package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.audio.FfmpegBinaries;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of hostile inputs, generated here with the bundled ffmpeg, run in one job next to a few
 * good files through the command line (embedded mini cluster, tiny model): every input ends with
 * exactly one clear outcome (a complete transcript set or one {@code _failures.jsonl} line with a
 * stage and a reason), the good files' transcripts are exactly what they are when run alone, no
 * temporary file is left, and the command exits with 1.
 */
class BadInputCorpusTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String THREE_HOURS = "odd/3h silence.flac";
    private static final List<String> FORMATS = List.of("txt", "srt", "vtt", "json");

    @TempDir Path work;

    /** Inputs that must be transcribed. */
    private final List<String> good = new ArrayList<>();

    /** Inputs that must be listed as failed. */
    private final List<String> bad = new ArrayList<>();

    /** Inputs where either outcome is acceptable, as long as it is exactly one. */
    private final List<String> either = new ArrayList<>();

    @Test
    void everyHostileInputEndsWithExactlyOneClearOutcomeAndGoodFilesAreUnaffected()
            throws Exception {
        Path in = Files.createDirectories(work.resolve("in"));
        Path goodOnly = Files.createDirectories(work.resolve("good-only"));
        Path scratch = Files.createDirectories(work.resolve("scratch"));
        corpus(in, scratch);
        for (String g : good) {
            if (g.equals(THREE_HOURS)) {
                continue; // compared by duration below; once is enough for 3 hours of audio
            }
            Path copy = goodOnly.resolve(g);
            Files.createDirectories(copy.getParent());
            Files.copy(in.resolve(g), copy);
        }

        Path out = work.resolve("out");
        long start = System.nanoTime();
        int exit = TranscribeCommand.run(args(in, out));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "bad-input corpus: %d inputs in %.1f s, exit %d%n",
                good.size() + bad.size() + either.size(), seconds, exit);
        assertThat(exit).isEqualTo(1);

        Map<String, JsonNode> failures = failures(out);
        TreeSet<String> outputs = PipelineTests.filesUnder(out);
        assertThat(outputs).noneMatch(f -> f.endsWith(".tmp"));
        List<String> all = new ArrayList<>(good);
        all.addAll(bad);
        all.addAll(either);
        TreeSet<String> expected = new TreeSet<>();
        expected.add("_failures.jsonl");
        for (String f : all) {
            boolean transcribed = outputs.contains(f + ".json");
            boolean failed = failures.containsKey(f);
            assertThat(transcribed ^ failed)
                    .as(
                            "exactly one outcome for %s (transcribed %s, failed %s)",
                            f, transcribed, failed)
                    .isTrue();
            if (transcribed) {
                for (String format : FORMATS) {
                    expected.add(f + "." + format);
                }
                JsonNode json = MAPPER.readTree(out.resolve(f + ".json").toFile());
                assertThat(json.get("file").asText()).isEqualTo(f);
                assertThat(json.get("duration").asDouble()).isPositive();
            } else {
                JsonNode line = failures.get(f);
                // Every bad input of this corpus is refused by the decoder.
                assertThat(line.get("stage").asText()).as("stage of %s", f).isEqualTo("decode");
                assertThat(line.get("error").asText()).as("reason for %s", f).isNotBlank();
            }
            System.out.printf(
                    "  %-40s %s%n",
                    f.replace("\n", "\\n"),
                    transcribed ? "transcribed" : "failed: " + failures.get(f).get("error"));
        }
        assertThat(outputs).as("one set of outputs per input, nothing else").isEqualTo(expected);
        for (String g : good) {
            assertThat(outputs).as("good file %s", g).contains(g + ".json");
        }
        for (String b : bad) {
            assertThat(failures).as("bad file %s", b).containsKey(b);
        }
        assertThat(failures.keySet()).hasSameSizeAs(new TreeSet<>(failures.keySet()));

        // The good files' transcripts do not depend on the company they were in.
        Path goodOut = work.resolve("good-out");
        assertThat(TranscribeCommand.run(args(goodOnly, goodOut))).isZero();
        assertThat(
                        MAPPER.readTree(out.resolve(THREE_HOURS + ".json").toFile())
                                .get("duration")
                                .asDouble())
                .isEqualTo(10_800.0);
        assertThat(failures.get("bad/video only.mp4").get("error").asText())
                .endsWith("the file has no audio stream (ffmpeg: matches no streams)");
        for (String g : good) {
            if (g.equals(THREE_HOURS)) {
                continue;
            }
            for (String format : List.of("txt", "srt", "vtt")) {
                assertThat(Files.readString(out.resolve(g + "." + format)))
                        .as("%s.%s", g, format)
                        .isEqualTo(Files.readString(goodOut.resolve(g + "." + format)));
            }
        }
    }

    private static String[] args(Path in, Path out) {
        return new String[] {
            "--input", in.toString(),
            "--output", out.toString(),
            "--model", TinyModel.dir().toString(),
            "--max-new-tokens", "2",
            "--temperature", "0",
            "--batch-size", "4",
            "--batch-wait-ms", "200",
            "--threads", "1",
            "--parallelism", "2",
            "--decode-parallelism", "2"
        };
    }

    private void corpus(Path in, Path scratch) throws Exception {
        for (String dir : List.of("good", "good/dots..dir", "odd", "bad")) {
            Files.createDirectories(in.resolve(dir));
        }
        // Good files, with hostile names.
        AudioFixtures.write(in.resolve("good/speech.wav"), Pattern.SPEECH, 12, 16_000, 1);
        good.add("good/speech.wav");
        AudioFixtures.write(
                in.resolve("good/with spaces.mp3"),
                Pattern.SPEECH,
                9,
                44_100,
                2,
                "-c:a",
                "libmp3lame");
        good.add("good/with spaces.mp3");
        AudioFixtures.write(
                in.resolve("good/ünïcødé 会议.ogg"), Pattern.TONES, 7, 48_000, 2, "-c:a", "libopus");
        good.add("good/ünïcødé 会议.ogg");
        Files.copy(in.resolve("good/speech.wav"), in.resolve("good/a..b.wav"));
        good.add("good/a..b.wav");
        Files.copy(in.resolve("good/speech.wav"), in.resolve("good/dots..dir/x.wav"));
        good.add("good/dots..dir/x.wav");
        Files.copy(in.resolve("good/speech.wav"), in.resolve("good/line\nbreak.wav"));
        good.add("good/line\nbreak.wav");
        Files.copy(in.resolve("good/speech.wav"), in.resolve("good/tab\tand 'quotes\".wav"));
        good.add("good/tab\tand 'quotes\".wav");

        // Extreme but valid audio.
        AudioFixtures.write(in.resolve("odd/8k.wav"), Pattern.SPEECH, 6, 8_000, 1);
        good.add("odd/8k.wav");
        AudioFixtures.write(
                in.resolve("odd/192k.flac"), Pattern.SPEECH, 6, 192_000, 2, "-c:a", "flac");
        good.add("odd/192k.flac");
        AudioFixtures.write(in.resolve("odd/8ch.wav"), Pattern.TONES, 5, 48_000, 8);
        good.add("odd/8ch.wav");
        ffmpeg(
                "-filter_complex",
                "anullsrc=r=16000:cl=mono",
                "-t",
                "10800",
                "-c:a",
                "flac",
                in.resolve(THREE_HOURS).toString());
        good.add(THREE_HOURS);
        AudioFixtures.write(in.resolve("odd/1ms.wav"), Pattern.TONES, 0.001, 16_000, 1);
        either.add("odd/1ms.wav");
        floatWav(in.resolve("odd/nan-inf.wav"));
        either.add("odd/nan-inf.wav");
        // Content decides, not the extension.
        AudioFixtures.write(
                in.resolve("odd/mp3 named.wav"), Pattern.SPEECH, 5, 22_050, 1, "-f", "mp3");
        good.add("odd/mp3 named.wav");
        Files.copy(in.resolve("good/speech.wav"), in.resolve("odd/wav named.txt"));
        good.add("odd/wav named.txt");
        Files.copy(in.resolve("good/speech.wav"), in.resolve("odd/no extension"));
        good.add("odd/no extension");

        // Broken inputs.
        Files.createFile(in.resolve("bad/zero.mp3"));
        bad.add("bad/zero.mp3");
        byte[] noise = new byte[256 * 1024];
        new Random(8).nextBytes(noise);
        Files.write(in.resolve("bad/random.wav"), noise);
        either.add("bad/random.wav"); // ffmpeg may read random bytes as raw PCM of a WAV header
        Files.write(in.resolve("bad/random.bin"), noise);
        bad.add("bad/random.bin");
        AudioFixtures.textNamed(in.resolve("bad/text.flac"));
        bad.add("bad/text.flac");
        AudioFixtures.videoOnly(in.resolve("bad/video only.mp4"), 2);
        bad.add("bad/video only.mp4");
        Path mp3 =
                AudioFixtures.write(
                        scratch.resolve("whole.mp3"),
                        Pattern.SPEECH,
                        8,
                        16_000,
                        1,
                        "-c:a",
                        "libmp3lame");
        Path flac =
                AudioFixtures.write(
                        scratch.resolve("whole.flac"),
                        Pattern.SPEECH,
                        8,
                        16_000,
                        1,
                        "-c:a",
                        "flac");
        Path wav = AudioFixtures.write(scratch.resolve("whole.wav"), Pattern.SPEECH, 8, 16_000, 1);
        for (Path whole : List.of(mp3, flac, wav)) {
            String ext = whole.getFileName().toString().substring(6);
            AudioFixtures.truncated(whole, in.resolve("bad/half." + ext), 0.5);
            either.add("bad/half." + ext); // the first half decodes or the decoder refuses
            AudioFixtures.truncated(whole, in.resolve("bad/header only." + ext), 0.002);
            either.add("bad/header only." + ext);
        }
    }

    /** A float32 WAV whose samples are NaN, +inf, -inf and huge values, between normal ones. */
    private static void floatWav(Path out) throws IOException {
        int rate = 16_000;
        int n = rate * 3;
        ByteBuffer data = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f};
        for (int i = 0; i < n; i++) {
            data.putFloat(
                    i % 7 == 0
                            ? special[(i / 7) % special.length]
                            : (float) (0.3 * Math.sin(2 * Math.PI * 220 * i / rate)));
        }
        ByteBuffer h = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
        h.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + n * 4);
        h.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        h.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16);
        h.putShort((short) 3).putShort((short) 1).putInt(rate).putInt(rate * 4);
        h.putShort((short) 4).putShort((short) 32);
        h.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(n * 4);
        Files.createDirectories(out.getParent());
        Files.write(out, concat(h.array(), data.array()));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static Map<String, JsonNode> failures(Path out) throws IOException {
        Map<String, JsonNode> m = new TreeMap<>();
        Path f = out.resolve("_failures.jsonl");
        if (Files.exists(f)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                JsonNode n = MAPPER.readTree(line);
                assertThat(m.put(n.get("file").asText(), n)).as("listed once: %s", line).isNull();
            }
        }
        return m;
    }

    private static void ffmpeg(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(FfmpegBinaries.bundled().ffmpeg().toString());
        cmd.addAll(List.of("-hide_banner", "-loglevel", "error", "-nostdin", "-y"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
    }
}
