package dev.omniscribe.udfs.audio;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Serves files of any Flink file system ({@code s3a://}) to ffmpeg over HTTP on the loopback
 * interface, with byte ranges, so that ffmpeg can seek in them as in a local file (an MP4 whose
 * index sits at its end, an MP3's encoder header) while nothing is copied to disk: each range
 * ffmpeg asks for is read from the file system's own seekable stream (S3A: a ranged GET).
 *
 * <p>One server per JVM, started on first use; each served file has an unguessable path and is
 * served until its {@link Served#close()}. A read that fails (storage unreachable after the file
 * system's retries) is remembered, so the caller can fail the task instead of taking the part
 * ffmpeg got for the whole file.
 */
final class RangeServer {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    private static volatile RangeServer instance;

    private final HttpServer server;
    private final Map<String, Served> files = new ConcurrentHashMap<>();

    private RangeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(
                Executors.newCachedThreadPool(
                        r -> {
                            Thread t = new Thread(r, "ffmpeg-range-server");
                            t.setDaemon(true);
                            return t;
                        }));
        server.createContext("/", this::handle);
        server.start();
    }

    /** The JVM's server, started on first use. */
    static RangeServer get() {
        RangeServer s = instance;
        if (s == null) {
            synchronized (RangeServer.class) {
                s = instance;
                if (s == null) {
                    try {
                        s = new RangeServer();
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot start the loopback file server", e);
                    }
                    instance = s;
                }
            }
        }
        return s;
    }

    /** Serves {@code path} of {@code fs} until the returned handle is closed. */
    Served serve(FileSystem fs, Path path) throws IOException {
        long size = fs.getFileStatus(path).getLen();
        String token = UUID.randomUUID().toString();
        Served s = new Served(token, fs, path, size);
        files.put(token, s);
        return s;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String token = ex.getRequestURI().getPath().substring(1);
            Served f = files.get(token);
            if (f == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            long start = 0;
            long end = f.size - 1;
            String range = ex.getRequestHeaders().getFirst("Range");
            boolean partial = false;
            if (range != null) {
                Matcher m = RANGE.matcher(range.strip());
                if (m.matches()) {
                    start = Long.parseLong(m.group(1));
                    if (!m.group(2).isEmpty()) {
                        end = Math.min(end, Long.parseLong(m.group(2)));
                    }
                    partial = true;
                }
            }
            ex.getResponseHeaders().set("Accept-Ranges", "bytes");
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            if (start > end || start >= f.size) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + f.size);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            long length = end - start + 1;
            if (partial) {
                ex.getResponseHeaders()
                        .set("Content-Range", "bytes " + start + "-" + end + "/" + f.size);
            }
            boolean head = "HEAD".equals(ex.getRequestMethod());
            ex.sendResponseHeaders(partial ? 206 : 200, head ? -1 : length);
            if (!head) {
                f.copy(start, length, ex.getResponseBody());
            }
        }
    }

    /** One served file. */
    final class Served implements AutoCloseable {
        private final String token;
        private final FileSystem fs;
        private final Path path;
        private final long size;
        private volatile IOException failure;

        private Served(String token, FileSystem fs, Path path, long size) {
            this.token = token;
            this.fs = fs;
            this.path = path;
            this.size = size;
        }

        /** The URL ffmpeg reads. */
        String url() {
            return "http://"
                    + server.getAddress().getAddress().getHostAddress()
                    + ":"
                    + server.getAddress().getPort()
                    + "/"
                    + token;
        }

        /** The first read failure of the file system, or null. */
        IOException failure() {
            return failure;
        }

        private void copy(long start, long length, OutputStream out) throws IOException {
            byte[] buf = new byte[1 << 16];
            FSDataInputStream in;
            try {
                in = fs.open(path);
                in.seek(start);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
            try (in) {
                long left = length;
                while (left > 0) {
                    int n;
                    try {
                        n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    } catch (IOException e) {
                        failure = e;
                        throw e;
                    }
                    if (n < 0) {
                        failure = new IOException(path + " ended before its listed size " + size);
                        throw failure;
                    }
                    try {
                        out.write(buf, 0, n);
                    } catch (IOException ffmpegWentOn) {
                        // ffmpeg closes a connection when it seeks elsewhere or has enough.
                        return;
                    }
                    left -= n;
                }
            }
        }

        @Override
        public void close() {
            files.remove(token);
        }
    }
}
