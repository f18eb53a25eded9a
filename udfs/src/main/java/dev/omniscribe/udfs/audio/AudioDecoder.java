package dev.omniscribe.udfs.audio;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Decodes any audio ffmpeg reads into 16 kHz mono signed 16-bit little-endian PCM, streamed.
 *
 * <p>ffmpeg writes the PCM to its standard output, which the calling thread reads directly: no
 * helper thread copies audio, ffmpeg simply blocks while the reader is busy (for example under
 * Flink back-pressure), and memory does not grow with the file's length. Its error output is
 * collected (bounded) for the failure message.
 *
 * <p>Local files are handed to ffmpeg by path. Files on other Flink file systems ({@code s3a://})
 * are served to it over loopback HTTP with byte ranges ({@link RangeServer}), read through the file
 * system's seekable stream as ffmpeg asks: containers that need seeking (MP4 with its index at the
 * end) decode exactly as from a local file, and nothing is copied to disk. The first audio stream
 * is decoded; video, subtitles and data are ignored.
 *
 * <p>The process is started directly rather than through Jaffree: Jaffree reports a finished
 * process only after polling its helper threads every 100 ms, which added about 100 ms to every
 * file (measured with the HTTP service, whose requests are short files).
 */
public final class AudioDecoder {

    /** Output sample rate in Hz. */
    public static final int SAMPLE_RATE = 16_000;

    /** Most bytes of ffmpeg's error output kept for a failure message. */
    private static final int MAX_ERROR_BYTES = 16 * 1024;

    private final FfmpegBinaries binaries;

    public AudioDecoder(FfmpegBinaries binaries) {
        this.binaries = binaries;
    }

    /**
     * Starts decoding {@code path}. Read {@link Session#pcm()} to its end, then call {@link
     * Session#awaitSuccess()} to learn whether ffmpeg decoded the whole file.
     */
    public Session open(Path path) throws IOException {
        return open(path, path.getFileSystem());
    }

    /**
     * Starts decoding {@code path} on {@code fs} (for example S3A with the job's settings). Files
     * on other than the local file system are read, with seeks, as ffmpeg asks for their bytes.
     */
    public Session open(Path path, FileSystem fs) throws IOException {
        return open(path, fs, false);
    }

    /**
     * As {@link #open(Path, FileSystem)}; with {@code splitChannels}, the PCM keeps the file's
     * channels ({@link Session#channels()}, found by ffprobe; at most {@value #MAX_CHANNELS}),
     * interleaved, instead of mixing them into one.
     */
    public Session open(Path path, FileSystem fs, boolean splitChannels) throws IOException {
        RangeServer.Served remote = null;
        String input;
        if (!fs.isDistributedFS() && "file".equals(fs.getUri().getScheme())) {
            input = java.nio.file.Path.of(path.toUri().getPath()).toString();
        } else {
            remote = RangeServer.get().serve(fs, path);
            input = remote.url();
        }
        int channels = 1;
        if (splitChannels) {
            try {
                channels = Math.min(MAX_CHANNELS, Math.max(1, probeChannels(input)));
            } catch (IOException e) {
                if (remote != null) {
                    remote.close();
                }
                throw e;
            }
        }
        List<String> cmd = new ArrayList<>();
        cmd.addAll(List.of(binaries.ffmpeg().toString(), "-hide_banner", "-nostdin"));
        cmd.addAll(List.of("-loglevel", "level+error", "-i", input));
        cmd.addAll(List.of("-map", "0:a:0", "-vn", "-sn", "-dn", "-c:a", "pcm_s16le"));
        cmd.addAll(
                List.of(
                        "-ac",
                        Integer.toString(channels),
                        "-ar",
                        Integer.toString(SAMPLE_RATE),
                        "-f",
                        "s16le"));
        cmd.add("pipe:1");
        Process process;
        try {
            process =
                    new ProcessBuilder(cmd)
                            .redirectInput(
                                    ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                            .start();
        } catch (IOException e) {
            if (remote != null) {
                remote.close();
            }
            throw e;
        }
        return new Session(path, process, remote, channels);
    }

    /** Most channels transcribed apart; a file with more is mixed down to this many by ffmpeg. */
    public static final int MAX_CHANNELS = 8;

    // The first audio stream's channel count, or 0 if ffprobe cannot tell (ffmpeg then reports
    // what is wrong with the file).
    private int probeChannels(String input) throws IOException {
        Process p =
                new ProcessBuilder(
                                binaries.ffprobe().toString(),
                                "-v",
                                "error",
                                "-select_streams",
                                "a:0",
                                "-show_entries",
                                "stream=channels",
                                "-of",
                                "csv=p=0",
                                input)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
        String text;
        try (InputStream in = p.getInputStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while probing " + input, e);
        }
        try {
            return Integer.parseInt(text.lines().findFirst().orElse("0").trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** One running decode. Close it in all cases; closing early stops ffmpeg. */
    public static final class Session implements AutoCloseable {
        private final Path path;
        private final Process process;
        private final RangeServer.Served remote;
        private final Thread errors;
        private final StringBuffer errorText = new StringBuffer();
        private final int channels;
        private InputStream pcm;

        Session(Path path, Process process, RangeServer.Served remote, int channels) {
            this.path = path;
            this.channels = channels;
            this.process = process;
            this.remote = remote;
            this.errors = new Thread(this::collectErrors, "ffmpeg-stderr " + path.getName());
            errors.setDaemon(true);
            errors.start();
        }

        private void collectErrors() {
            try (InputStream err = process.getErrorStream()) {
                byte[] buf = new byte[4096];
                int n;
                while ((n = err.read(buf)) >= 0) {
                    if (errorText.length() < MAX_ERROR_BYTES) {
                        errorText.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                // The process is gone.
            }
        }

        /** Channels interleaved in {@link #pcm()}: 1 unless opened to split channels. */
        public int channels() {
            return channels;
        }

        /** The decoded samples; ends when ffmpeg ends. */
        public InputStream pcm() {
            if (pcm == null) {
                pcm = new BufferedInputStream(process.getInputStream(), 1 << 16);
            }
            return pcm;
        }

        /**
         * Waits for ffmpeg and throws if it failed. A remote file that could not be read to its end
         * (storage unreachable after the file system's own retries) throws {@link
         * UncheckedIOException}: that is not the file's fault, so it fails the task (Flink restarts
         * it) rather than listing the file as undecodable.
         */
        public void awaitSuccess() throws DecodeException, InterruptedException {
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new DecodeException("ffmpeg did not finish after its output ended", null);
            }
            errors.join(TimeUnit.SECONDS.toMillis(10));
            checkRemoteRead();
            if (process.exitValue() != 0) {
                throw new DecodeException(describe(), null);
            }
        }

        private void checkRemoteRead() {
            if (remote != null && remote.failure() != null) {
                throw new UncheckedIOException(
                        "could not read " + path + ": " + remote.failure().getMessage(),
                        remote.failure());
            }
        }

        private String describe() {
            String prefix = "ffmpeg could not decode " + path.getName() + ": ";
            String lines =
                    errorText
                            .toString()
                            .lines()
                            .map(Session::readable)
                            .filter(
                                    l ->
                                            !l.isEmpty()
                                                    && !l.startsWith("Error opening input file")
                                                    && !l.startsWith("Error opening output file"))
                            .distinct()
                            .collect(Collectors.joining("; "));
            if (lines.contains("matches no streams")) {
                // ffmpeg's own words name the -map option.
                return prefix + "the file has no audio stream (ffmpeg: matches no streams)";
            }
            if (!lines.isEmpty()) {
                return prefix + lines;
            }
            return prefix + "ffmpeg exited with status " + process.exitValue();
        }

        // "[mp3 @ 0x55..] [error] Failed to find ..." -> "Failed to find ..."
        private static String readable(String ffmpegLine) {
            return ffmpegLine
                    .replaceAll("\\[[^\\]]* @ 0x[0-9a-f]+\\]\\s*", "")
                    .replaceAll("\\[(?:error|fatal|warning|panic)\\]\\s*", "")
                    .replaceAll("\\.$", "")
                    .strip();
        }

        @Override
        public void close() throws IOException {
            try {
                if (process.isAlive()) {
                    process.destroyForcibly();
                }
                if (pcm != null) {
                    pcm.close();
                } else {
                    process.getInputStream().close();
                }
            } finally {
                if (remote != null) {
                    remote.close();
                }
            }
        }
    }
}
