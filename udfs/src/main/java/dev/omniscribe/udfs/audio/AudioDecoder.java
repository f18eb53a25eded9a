package dev.omniscribe.udfs.audio;

import com.github.kokorin.jaffree.JaffreeException;
import com.github.kokorin.jaffree.LogLevel;
import com.github.kokorin.jaffree.StreamType;
import com.github.kokorin.jaffree.ffmpeg.ChannelInput;
import com.github.kokorin.jaffree.ffmpeg.FFmpeg;
import com.github.kokorin.jaffree.ffmpeg.FFmpegResultFuture;
import com.github.kokorin.jaffree.ffmpeg.Input;
import com.github.kokorin.jaffree.ffmpeg.UrlInput;
import com.github.kokorin.jaffree.ffmpeg.UrlOutput;
import com.github.kokorin.jaffree.process.JaffreeAbnormalExitException;
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Decodes any audio ffmpeg reads into 16 kHz mono signed 16-bit little-endian PCM, streamed.
 *
 * <p>ffmpeg (run by Jaffree) writes the PCM into a named pipe that the calling thread reads
 * directly: no helper thread copies audio, ffmpeg simply blocks while the reader is busy (for
 * example under Flink back-pressure), and memory does not grow with the file's length.
 *
 * <p>Local files are handed to ffmpeg by path. Files on other Flink file systems ({@code s3a://})
 * are served to ffmpeg as a seekable input through Jaffree's {@link ChannelInput} (a loopback FTP
 * server over a channel that reads the file through Flink's {@link FileSystem} and seeks with it),
 * so containers that need seeking, such as MP4 with its index at the end, decode exactly as they do
 * from a local file, and nothing is copied to disk: S3A reads the object in ranged requests as
 * ffmpeg asks for it. The first audio stream is decoded; video, subtitles and data are ignored.
 */
public final class AudioDecoder {

    /** Output sample rate in Hz. */
    public static final int SAMPLE_RATE = 16_000;

    private final FfmpegBinaries binaries;
    private final java.nio.file.Path fifoDir;

    public AudioDecoder(FfmpegBinaries binaries) throws IOException {
        this.binaries = binaries;
        this.fifoDir = Files.createTempDirectory("omniscribe-pcm-");
        this.fifoDir.toFile().deleteOnExit();
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
        java.nio.file.Path fifo = fifoDir.resolve(UUID.randomUUID() + ".pcm");
        mkfifo(fifo);
        Input input;
        RemoteChannel remote = null;
        if (!fs.isDistributedFS() && "file".equals(fs.getUri().getScheme())) {
            input = UrlInput.fromPath(java.nio.file.Path.of(path.toUri().getPath()));
        } else {
            long size = fs.getFileStatus(path).getLen();
            remote = new RemoteChannel(fs.open(path), size);
            input = ChannelInput.fromChannel(path.getName(), remote);
        }
        FFmpegResultFuture future =
                FFmpeg.atPath(binaries.dir())
                        .addInput(input)
                        .addArgument("-nostdin")
                        .addOutput(
                                UrlOutput.toPath(fifo)
                                        .addMap(0, "a:0")
                                        .addArgument("-vn")
                                        .addArgument("-sn")
                                        .addArgument("-dn")
                                        .setCodec(StreamType.AUDIO, "pcm_s16le")
                                        .addArguments("-ac", "1")
                                        .addArguments("-ar", Integer.toString(SAMPLE_RATE))
                                        .setFormat("s16le"))
                        .setOverwriteOutput(true)
                        .setLogLevel(LogLevel.ERROR)
                        .setContextName("decode " + path.getName())
                        .executeAsync();
        return new Session(path, fifo, future, remote);
    }

    private static void mkfifo(java.nio.file.Path fifo) throws IOException {
        Process p = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                throw new IOException("mkfifo " + fifo + " failed: " + err.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating " + fifo, e);
        }
    }

    /**
     * A remote file as a read-only seekable channel over Flink's stream, remembering a read
     * failure: ffmpeg only sees its input end early, and would decode the part it got as if it were
     * the whole file.
     */
    private static final class RemoteChannel implements SeekableByteChannel {
        private final FSDataInputStream in;
        private final long size;
        private final byte[] chunk = new byte[1 << 16];
        private long position;
        private boolean open = true;
        private volatile IOException failure;

        RemoteChannel(FSDataInputStream in, long size) {
            this.in = in;
            this.size = size;
        }

        @Override
        public synchronized int read(ByteBuffer dst) throws IOException {
            ensureOpen();
            if (position >= size) {
                return -1;
            }
            int want = (int) Math.min(Math.min(dst.remaining(), chunk.length), size - position);
            try {
                int n = in.read(chunk, 0, want);
                if (n > 0) {
                    dst.put(chunk, 0, n);
                    position += n;
                }
                return n;
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public synchronized long position() throws IOException {
            ensureOpen();
            return position;
        }

        @Override
        public synchronized SeekableByteChannel position(long newPosition) throws IOException {
            ensureOpen();
            if (newPosition < 0) {
                throw new IllegalArgumentException("negative position " + newPosition);
            }
            if (newPosition != position) {
                try {
                    in.seek(Math.min(newPosition, size));
                } catch (IOException e) {
                    failure = e;
                    throw e;
                }
                position = newPosition;
            }
            return this;
        }

        @Override
        public long size() throws IOException {
            ensureOpen();
            return size;
        }

        @Override
        public int write(ByteBuffer src) {
            throw new NonWritableChannelException();
        }

        @Override
        public SeekableByteChannel truncate(long newSize) {
            throw new NonWritableChannelException();
        }

        @Override
        public synchronized boolean isOpen() {
            return open;
        }

        @Override
        public synchronized void close() throws IOException {
            if (open) {
                open = false;
                in.close();
            }
        }

        private void ensureOpen() throws ClosedChannelException {
            if (!open) {
                throw new ClosedChannelException();
            }
        }
    }

    /** One running decode. Close it in all cases; closing early stops ffmpeg. */
    public static final class Session implements AutoCloseable {
        private final Path path;
        private final java.nio.file.Path fifo;
        private final FFmpegResultFuture future;
        private final RemoteChannel remote;
        private final Object openLock = new Object();
        private boolean readerOpened;
        private boolean unblocked;
        private InputStream pcm;

        Session(
                Path path,
                java.nio.file.Path fifo,
                FFmpegResultFuture future,
                RemoteChannel remote) {
            this.path = path;
            this.fifo = fifo;
            this.future = future;
            this.remote = remote;
            // If ffmpeg ends without ever opening its output (a file it cannot read), open the
            // pipe's writing end once so that the reader's open returns and sees the end.
            future.toCompletableFuture().whenComplete((r, e) -> unblockReader());
        }

        private void unblockReader() {
            synchronized (openLock) {
                if (readerOpened || unblocked) {
                    return;
                }
                unblocked = true;
            }
            try (FileOutputStream ignored = new FileOutputStream(fifo.toFile())) {
                // Opening and closing the writing end is the signal.
            } catch (IOException ignored) {
                // The pipe is gone: the session was closed.
            }
        }

        /** The decoded samples; ends when ffmpeg ends. Opening blocks until ffmpeg starts. */
        public InputStream pcm() throws IOException {
            if (pcm == null) {
                // Buffered: FileInputStream's bulk reads try to seek, which a pipe refuses.
                pcm = new BufferedInputStream(new FileInputStream(fifo.toFile()), 1 << 16);
                synchronized (openLock) {
                    readerOpened = true;
                }
            }
            return pcm;
        }

        /**
         * Waits for ffmpeg and throws if it failed. A remote file that could not be read to its end
         * (storage unreachable after the file system's own retries) throws {@link
         * java.io.UncheckedIOException}: that is not the file's fault, so it fails the task (Flink
         * restarts it) rather than listing the file as undecodable.
         */
        public void awaitSuccess() throws DecodeException, InterruptedException {
            try {
                future.get(5, TimeUnit.MINUTES);
                checkRemoteRead();
            } catch (ExecutionException e) {
                checkRemoteRead();
                throw new DecodeException(describe(e.getCause()), e.getCause());
            } catch (TimeoutException e) {
                future.forceStop();
                throw new DecodeException("ffmpeg did not finish after its output ended", e);
            }
        }

        private void checkRemoteRead() {
            if (remote != null && remote.failure != null) {
                throw new java.io.UncheckedIOException(
                        "could not read " + path + ": " + remote.failure.getMessage(),
                        remote.failure);
            }
        }

        private String describe(Throwable t) {
            String prefix = "ffmpeg could not decode " + path.getName() + ": ";
            if (t instanceof JaffreeAbnormalExitException abnormal) {
                String lines =
                        abnormal.getProcessErrorLogMessages().stream()
                                .map(m -> readable(m.message))
                                .filter(
                                        s ->
                                                !s.isEmpty()
                                                        && !s.startsWith(
                                                                "Error opening input file"))
                                .distinct()
                                .collect(Collectors.joining("; "));
                if (lines.contains("matches no streams")) {
                    // ffmpeg's own words name the -map option and a temporary pipe.
                    return prefix + "the file has no audio stream (ffmpeg: matches no streams)";
                }
                if (!lines.isEmpty()) {
                    return prefix + lines;
                }
            }
            if (t instanceof JaffreeException && t.getMessage() != null) {
                return prefix + t.getMessage();
            }
            return prefix + t;
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
                if (!future.isDone()) {
                    future.forceStop();
                }
                if (pcm != null) {
                    pcm.close();
                }
                if (remote != null) {
                    remote.close();
                }
            } finally {
                Files.deleteIfExists(fifo);
            }
        }
    }
}
