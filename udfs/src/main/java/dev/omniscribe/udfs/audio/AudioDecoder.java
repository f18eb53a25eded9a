package dev.omniscribe.udfs.audio;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
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
 *
 * <p>A local WAV file that already holds 16 kHz 16-bit samples ({@link WavFormat}), mono or stereo,
 * is read straight from disk with no process at all: the samples are the ones ffmpeg would write
 * (stereo mixed as ffmpeg mixes it, {@code (left + right + 1) >> 1}), for a fraction of the CPU of
 * starting ffmpeg.
 */
public final class AudioDecoder {

    /** Output sample rate in Hz. */
    public static final int SAMPLE_RATE = 16_000;

    /** Most bytes of ffmpeg's error output kept for a failure message. */
    private static final int MAX_ERROR_BYTES = 16 * 1024;

    private final FfmpegBinaries binaries;
    private final boolean readWav;

    public AudioDecoder(FfmpegBinaries binaries) {
        this(binaries, true);
    }

    /**
     * @param readWav whether WAV files ffmpeg would only copy are read directly; false sends every
     *     file to ffmpeg
     */
    AudioDecoder(FfmpegBinaries binaries, boolean readWav) {
        this.binaries = binaries;
        this.readWav = readWav;
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
            java.nio.file.Path local = java.nio.file.Path.of(path.toUri().getPath());
            Session direct = readWav ? openWav(path, local, splitChannels) : null;
            if (direct != null) {
                return direct;
            }
            input = local.toString();
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

    // A session reading the file's own samples, or null when ffmpeg is needed (not a WAV of 16 kHz
    // 16-bit samples, more channels than mixed or split here, or unreadable: ffmpeg says why).
    private static Session openWav(Path path, java.nio.file.Path local, boolean splitChannels) {
        try {
            WavFormat f = WavFormat.read(local).orElse(null);
            if (f == null || !f.isS16At(SAMPLE_RATE)) {
                return null;
            }
            boolean mix = !splitChannels && f.channels() == 2;
            boolean copy = f.channels() == 1 || (splitChannels && f.channels() <= MAX_CHANNELS);
            if (!mix && !copy) {
                return null;
            }
            return new Session(path, new WavSamples(local, f, mix), mix ? 1 : f.channels());
        } catch (IOException e) {
            return null;
        }
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
        private final Process process; // null when the file's samples are read directly
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

        Session(Path path, InputStream samples, int channels) {
            this.path = path;
            this.channels = channels;
            this.process = null;
            this.remote = null;
            this.errors = null;
            this.pcm = samples;
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

        /** Whether the file's samples are read directly, without ffmpeg. */
        boolean readsDirectly() {
            return process == null;
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
            if (process == null) {
                return;
            }
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
            if (process == null) {
                pcm.close();
                return;
            }
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

    /**
     * A WAV file's 16-bit samples as ffmpeg would write them: copied, or two channels mixed into
     * one the way ffmpeg mixes them.
     */
    private static final class WavSamples extends InputStream {
        private static final int CHUNK = 1 << 16; // a multiple of every frame size read here

        private final java.nio.file.Path local;
        private final FileChannel file;
        private final boolean mix;
        private final long end;
        private long position;
        private final ByteBuffer raw = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        private final ByteBuffer mixed;
        private ByteBuffer out;

        WavSamples(java.nio.file.Path local, WavFormat format, boolean mix) throws IOException {
            this.local = local;
            this.file = FileChannel.open(local, StandardOpenOption.READ);
            this.mix = mix;
            this.position = format.dataOffset();
            this.end = format.dataOffset() + format.dataBytes();
            this.mixed = mix ? ByteBuffer.allocate(CHUNK / 2).order(ByteOrder.LITTLE_ENDIAN) : null;
            this.out = raw.limit(0);
        }

        private boolean fill() throws IOException {
            if (out.hasRemaining()) {
                return true;
            }
            if (position >= end) {
                return false;
            }
            raw.clear().limit((int) Math.min(CHUNK, end - position));
            while (raw.hasRemaining()) {
                if (file.read(raw, position + raw.position()) < 0) {
                    throw new EOFException(
                            local.getFileName()
                                    + " ended before its samples did (cut while read?)");
                }
            }
            position += raw.limit();
            raw.flip();
            if (!mix) {
                out = raw;
                return true;
            }
            mixed.clear();
            while (raw.remaining() >= 4) {
                int left = raw.getShort();
                int right = raw.getShort();
                mixed.putShort((short) ((left + right + 1) >> 1));
            }
            out = mixed.flip();
            return true;
        }

        @Override
        public int read() throws IOException {
            return fill() ? out.get() & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, out.remaining());
            out.get(b, off, n);
            return n;
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
