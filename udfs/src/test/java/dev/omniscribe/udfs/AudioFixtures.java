package dev.omniscribe.udfs;

import dev.omniscribe.udfs.audio.FfmpegBinaries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Real audio files for tests, made with the bundled ffmpeg binary: tone or speech-like bursts with
 * pauses at known times, in any codec and layout ffmpeg writes.
 */
public final class AudioFixtures {

    private AudioFixtures() {}

    /**
     * A pattern of sound bursts separated by silences: each period of {@code periodSec} holds
     * {@code soundSec} of sound followed by silence.
     *
     * @param speechLike amplitude- and pitch-modulated harmonics (syllable rhythm) instead of a
     *     pure tone
     */
    public record Pattern(double periodSec, double soundSec, boolean speechLike) {

        public static final Pattern SPEECH = new Pattern(8.0, 6.5, true);
        public static final Pattern TONES = new Pattern(8.0, 6.5, false);

        String expression() {
            String gate = String.format(Locale.ROOT, "lt(mod(t\\,%s)\\,%s)", periodSec, soundSec);
            String sound =
                    speechLike
                            ? "(0.25+0.2*sin(2*PI*4*t))*(sin(2*PI*(140+30*sin(2*PI*3*t))*t)"
                                    + "+0.5*sin(4*PI*(140+30*sin(2*PI*3*t))*t)"
                                    + "+0.25*sin(6*PI*(140+30*sin(2*PI*3*t))*t))"
                            : "0.5*sin(2*PI*440*t)";
            return gate + "*" + sound;
        }

        /** Whether {@code ms} lies in a pause, at least {@code marginMs} away from any sound. */
        public boolean inPause(long ms, long marginMs) {
            double phase = (ms / 1000.0) % periodSec;
            double margin = marginMs / 1000.0;
            return phase >= soundSec + margin && phase <= periodSec - margin;
        }
    }

    /**
     * Writes {@code seconds} of {@code pattern} to {@code out}, encoded by {@code encoderArgs} (for
     * example {@code -c:a libmp3lame}); the container follows the file extension.
     */
    public static Path write(
            Path out,
            Pattern pattern,
            double seconds,
            int sampleRate,
            int channels,
            String... encoderArgs)
            throws IOException, InterruptedException {
        // Sources are filters (libavfilter), not the lavfi input device: the bundled ffmpeg has
        // no devices.
        List<String> args = new ArrayList<>();
        args.add("-filter_complex");
        args.add(
                String.format(
                        Locale.ROOT,
                        "aevalsrc=%s:s=%d:d=%s",
                        pattern.expression(),
                        sampleRate,
                        seconds));
        args.add("-ac");
        args.add(Integer.toString(channels));
        args.addAll(List.of(encoderArgs));
        args.add(out.toString());
        ffmpeg(args);
        return out;
    }

    /**
     * Like {@link #write} for long files: one period is synthesized, then repeated by ffmpeg's
     * input looping, which is much faster than synthesizing every sample.
     */
    public static Path writeLong(
            Path out,
            Pattern pattern,
            double seconds,
            int sampleRate,
            int channels,
            String... encoderArgs)
            throws IOException, InterruptedException {
        Path period = out.resolveSibling(".period-" + out.getFileName() + ".wav");
        write(period, pattern, pattern.periodSec(), sampleRate, channels);
        List<String> args = new ArrayList<>();
        args.addAll(List.of("-stream_loop", "-1", "-i", period.toString()));
        args.addAll(List.of("-t", Double.toString(seconds)));
        args.addAll(List.of(encoderArgs));
        args.add(out.toString());
        ffmpeg(args);
        Files.delete(period);
        return out;
    }

    /** A speech-like mono 16 kHz WAV. */
    public static Path speechWav(Path out, double seconds)
            throws IOException, InterruptedException {
        return write(out, Pattern.SPEECH, seconds, 16_000, 1);
    }

    /** A file of {@code seconds} of video without any audio stream. */
    public static Path videoOnly(Path out, double seconds)
            throws IOException, InterruptedException {
        ffmpeg(
                List.of(
                        "-filter_complex",
                        "testsrc=size=64x48:rate=5:duration=" + seconds,
                        "-c:v",
                        "mpeg4",
                        out.toString()));
        return out;
    }

    /**
     * An MP4 video of {@code seconds} with a {@code pattern} AAC audio track. ffmpeg writes the MP4
     * index ({@code moov}) after the media data, as it does by default.
     */
    public static Path videoWithAudio(Path out, Pattern pattern, double seconds)
            throws IOException, InterruptedException {
        ffmpeg(
                List.of(
                        "-filter_complex",
                        String.format(
                                Locale.ROOT,
                                "testsrc=size=64x48:rate=5:duration=%s[v];aevalsrc=%s:s=44100:d=%s[a]",
                                seconds,
                                pattern.expression(),
                                seconds),
                        "-map",
                        "[v]",
                        "-map",
                        "[a]",
                        "-c:v",
                        "mpeg4",
                        "-c:a",
                        "aac",
                        out.toString()));
        return out;
    }

    /**
     * The types of an MP4 file's top-level boxes, in file order ({@code ftyp}, {@code moov}...).
     */
    public static List<String> mp4Boxes(Path file) throws IOException {
        List<String> types = new ArrayList<>();
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            long pos = 0;
            long size = ch.size();
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(16);
            while (pos + 8 <= size) {
                head.clear();
                ch.read(head, pos);
                long boxSize = head.getInt(0) & 0xffffffffL;
                types.add(
                        new String(head.array(), 4, 4, java.nio.charset.StandardCharsets.US_ASCII));
                if (boxSize == 1) {
                    boxSize = head.getLong(8);
                } else if (boxSize == 0) {
                    boxSize = size - pos;
                }
                if (boxSize < 8) {
                    throw new IOException("bad MP4 box size " + boxSize + " at " + pos);
                }
                pos += boxSize;
            }
        }
        return types;
    }

    /** A text file with an audio extension. */
    public static Path textNamed(Path out) throws IOException {
        Files.writeString(
                out, "This is not audio, whatever its name says.\n", StandardCharsets.UTF_8);
        return out;
    }

    /** The first {@code fraction} of {@code source}'s bytes, as a truncated download would be. */
    public static Path truncated(Path source, Path out, double fraction) throws IOException {
        byte[] all = Files.readAllBytes(source);
        byte[] part = java.util.Arrays.copyOf(all, (int) (all.length * fraction));
        Files.write(out, part);
        return out;
    }

    /** Duration of the first audio stream in seconds, as ffprobe reports it. */
    public static double probeDuration(Path file) throws IOException, InterruptedException {
        String out =
                run(
                        List.of(
                                FfmpegBinaries.bundled().ffprobe().toString(),
                                "-v",
                                "error",
                                "-show_entries",
                                "format=duration",
                                "-of",
                                "default=nw=1:nk=1",
                                file.toString()));
        return Double.parseDouble(out.strip());
    }

    /** {@code sample_rate,channels} of the first audio stream, as ffprobe reports it. */
    public static String probeLayout(Path file) throws IOException, InterruptedException {
        return run(List.of(
                        FfmpegBinaries.bundled().ffprobe().toString(),
                        "-v",
                        "error",
                        "-select_streams",
                        "a:0",
                        "-show_entries",
                        "stream=sample_rate,channels",
                        "-of",
                        "csv=p=0",
                        file.toString()))
                .strip();
    }

    private static void ffmpeg(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(FfmpegBinaries.bundled().ffmpeg().toString());
        cmd.addAll(List.of("-hide_banner", "-loglevel", "error", "-nostdin", "-y"));
        cmd.addAll(args);
        run(cmd);
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("failed: " + String.join(" ", cmd) + "\n" + out);
        }
        return out;
    }
}
