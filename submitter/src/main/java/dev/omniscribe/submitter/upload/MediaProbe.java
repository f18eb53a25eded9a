package dev.omniscribe.submitter.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.audio.WavFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Checks by content, not by name, that a file holds audio: runs {@code ffprobe} on it and requires
 * an audio stream with at least one readable packet. Reads only the container header and the first
 * packet, so a 4 GB file is probed as fast as a small one. A WAV file with a clean header of PCM or
 * float samples ({@link WavFormat}) is described from its header, without starting ffprobe.
 */
public final class MediaProbe {

    private static final long TIMEOUT_S = 60;

    private final Path ffprobe;
    private final boolean readWav;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param ffprobe the ffprobe executable
     */
    public MediaProbe(Path ffprobe) {
        this(ffprobe, true);
    }

    /**
     * @param readWav whether WAV headers are read here; false asks ffprobe about every file
     */
    MediaProbe(Path ffprobe, boolean readWav) {
        this.readWav = readWav;
        if (!Files.isExecutable(ffprobe)) {
            throw new IllegalArgumentException("ffprobe is not an executable file: " + ffprobe);
        }
        this.ffprobe = ffprobe;
    }

    /**
     * Probes a file.
     *
     * @return what the first audio stream is
     * @throws NotAudioException when the file is not audio ffmpeg can read; its message names the
     *     file by its base name only
     */
    public AudioInfo probe(Path file) throws NotAudioException {
        try {
            Optional<WavFormat> wav = readWav ? WavFormat.read(file) : Optional.empty();
            if (wav.isPresent()) {
                WavFormat f = wav.get();
                return new AudioInfo(
                        "wav", f.codec(), f.sampleRateHz(), f.channels(), f.durationS());
            }
        } catch (IOException e) {
            // ffprobe says what is wrong with it
        }
        List<String> command =
                List.of(
                        ffprobe.toString(),
                        "-v",
                        "error",
                        "-hide_banner",
                        "-select_streams",
                        "a:0",
                        "-read_intervals",
                        "%+#1",
                        "-show_entries",
                        "format=format_name,duration:stream=codec_name,sample_rate,channels,duration:packet=pts_time",
                        "-of",
                        "json",
                        file.toAbsolutePath().toString());
        Process process;
        try {
            process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run ffprobe " + ffprobe, e);
        }
        CompletableFuture<String> stderr = readAsync(process.getErrorStream());
        CompletableFuture<String> stdout = readAsync(process.getInputStream());
        try {
            if (!process.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new NotAudioException(
                        "could not probe the upload within " + TIMEOUT_S + " s");
            }
            String err = clean(stderr.join(), file);
            if (process.exitValue() != 0) {
                throw new NotAudioException(
                        "the upload is not audio ffmpeg can read"
                                + (err.isEmpty() ? "" : " (" + err + ")"));
            }
            return parse(stdout.join(), err);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing", e);
        }
    }

    private AudioInfo parse(String out, String err) throws NotAudioException {
        JsonNode root;
        try {
            root = json.readTree(out);
        } catch (IOException e) {
            throw new NotAudioException("the upload is not audio ffmpeg can read");
        }
        JsonNode streams = root.path("streams");
        if (!streams.isArray() || streams.isEmpty()) {
            throw new NotAudioException(
                    "the upload has no audio stream (format: "
                            + root.path("format").path("format_name").asText("unknown")
                            + ")");
        }
        JsonNode packets = root.path("packets");
        if (!packets.isArray() || packets.isEmpty()) {
            throw new NotAudioException(
                    "the upload's audio stream has no readable data"
                            + (err.isEmpty() ? "" : " (" + err + ")"));
        }
        JsonNode stream = streams.get(0);
        double duration = root.path("format").path("duration").asDouble(Double.NaN);
        if (Double.isNaN(duration)) {
            duration = stream.path("duration").asDouble(Double.NaN);
        }
        return new AudioInfo(
                root.path("format").path("format_name").asText(""),
                stream.path("codec_name").asText(""),
                stream.path("sample_rate").asInt(0),
                stream.path("channels").asInt(0),
                duration);
    }

    /** First line of ffprobe's complaint, with the server-side path replaced by the file name. */
    private static String clean(String stderr, Path file) {
        String text =
                stderr.replace(file.toAbsolutePath().toString(), file.getFileName().toString())
                        .strip();
        int nl = text.indexOf('\n');
        if (nl >= 0) {
            text = text.substring(0, nl);
        }
        return text.length() > 200 ? text.substring(0, 200) : text;
    }

    private static CompletableFuture<String> readAsync(InputStream in) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try (in) {
                        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        return "";
                    }
                });
    }

    /**
     * What ffprobe found.
     *
     * @param formatName container, e.g. {@code wav}, {@code mov,mp4,m4a,3gp,3g2,mj2}
     * @param codec audio codec of the first audio stream
     * @param sampleRateHz sample rate in Hz, 0 if unknown
     * @param channels channel count, 0 if unknown
     * @param durationS duration in seconds, NaN if the container does not say
     */
    public record AudioInfo(
            String formatName, String codec, int sampleRateHz, int channels, double durationS) {}

    /** The file is not audio that can be transcribed. */
    public static final class NotAudioException extends Exception {
        public NotAudioException(String message) {
            super(message);
        }
    }
}
