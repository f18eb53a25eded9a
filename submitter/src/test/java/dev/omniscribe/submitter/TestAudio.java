package dev.omniscribe.submitter;

import dev.omniscribe.udfs.audio.FfmpegBinaries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real audio for the tests, made by the bundled ffmpeg. */
final class TestAudio {

    private TestAudio() {}

    /**
     * A tone with a pause in the middle (so segmentation has a place to cut), encoded by the file
     * extension: {@code .wav} (16-bit PCM), {@code .m4a} (AAC), {@code .flac}, {@code .mp3}.
     *
     * @param seconds total length in seconds
     */
    static Path tone(Path dir, String name, double seconds) {
        Path out = dir.resolve(name);
        double half = seconds / 2;
        String expr =
                String.format(
                        java.util.Locale.ROOT,
                        "aevalsrc='if(between(t,%.3f,%.3f),0,0.4*sin(2*PI*(300+200*sin(2*PI*t))*t))':s=44100:d=%.3f",
                        half - 0.4,
                        half + 0.4,
                        seconds);
        List<String> cmd = new ArrayList<>(List.of("-filter_complex", expr, "-ac", "2"));
        if (name.endsWith(".m4a")) {
            cmd.addAll(List.of("-c:a", "aac", "-b:a", "64k"));
        } else if (name.endsWith(".wav")) {
            cmd.addAll(List.of("-c:a", "pcm_s16le"));
        }
        cmd.add(out.toString());
        ffmpeg(cmd);
        return out;
    }

    static void ffmpeg(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(FfmpegBinaries.bundled().ffmpeg().toString());
        cmd.addAll(List.of("-v", "error", "-y", "-nostdin"));
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("ffmpeg failed: " + cmd + "\n" + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run ffmpeg", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
