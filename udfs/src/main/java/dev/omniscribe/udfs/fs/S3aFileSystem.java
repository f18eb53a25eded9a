package dev.omniscribe.udfs.fs;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.core.fs.BlockLocation;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Abortable;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Flink's {@link FileSystem} view of one bucket through Hadoop's S3A client ({@code
 * org.apache.hadoop.fs.s3a.S3AFileSystem}).
 *
 * <p>Reads stream: {@link #open} returns S3A's input stream, which fetches the object in ranged
 * GETs as it is read, so memory does not grow with the object's size. Writes go straight to the
 * final key: S3A buffers the bytes and the object appears only when the stream is closed (one PUT,
 * or a multipart upload completed on close), so readers never see half an object and no temporary
 * object is left behind. {@link #writeWhole} aborts the upload if writing fails.
 */
public final class S3aFileSystem extends FileSystem {

    private static final Map<Key, S3aFileSystem> INSTANCES = new ConcurrentHashMap<>();

    private record Key(String scheme, String bucket, Storage storage) {}

    private final URI uri;
    private final org.apache.hadoop.fs.FileSystem fs;

    private S3aFileSystem(URI uri, org.apache.hadoop.fs.FileSystem fs) {
        this.uri = uri;
        this.fs = fs;
    }

    /** The shared client of {@code uri}'s bucket with {@code storage}'s settings. */
    static S3aFileSystem get(URI uri, Storage storage) throws IOException {
        if (uri.getAuthority() == null || uri.getAuthority().isEmpty()) {
            throw new IllegalArgumentException(
                    "no bucket in " + uri + " (expected s3a://bucket/…)");
        }
        Key key = new Key(uri.getScheme(), uri.getAuthority(), storage);
        S3aFileSystem fs = INSTANCES.get(key);
        if (fs == null) {
            synchronized (INSTANCES) {
                fs = INSTANCES.get(key);
                if (fs == null) {
                    fs =
                            create(
                                    URI.create(uri.getScheme() + "://" + uri.getAuthority() + "/"),
                                    storage);
                    INSTANCES.put(key, fs);
                }
            }
        }
        return fs;
    }

    private static S3aFileSystem create(URI bucket, Storage storage) throws IOException {
        Configuration conf = hadoopConfiguration(storage);
        // Hadoop's own cache keys clients by bucket and user only; settings differ per job here.
        URI s3a = URI.create("s3a://" + bucket.getAuthority() + "/");
        return new S3aFileSystem(bucket, org.apache.hadoop.fs.FileSystem.newInstance(s3a, conf));
    }

    /** The Hadoop configuration S3A runs with. */
    static Configuration hadoopConfiguration(Storage storage) {
        Configuration conf = new Configuration();
        conf.set("fs.s3a.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem");
        if (storage.s3Endpoint() != null) {
            conf.set("fs.s3a.endpoint", storage.s3Endpoint());
            // S3-compatible stores sign with any region; S3A needs one when the endpoint is not
            // AWS.
            conf.set("fs.s3a.endpoint.region", "us-east-1");
        }
        conf.setBoolean("fs.s3a.path.style.access", storage.s3PathStyle());
        storage.s3aOptions().forEach(conf::set);
        return conf;
    }

    @Override
    public Path getWorkingDirectory() {
        return new Path(uri);
    }

    @Override
    public Path getHomeDirectory() {
        return new Path(uri);
    }

    @Override
    public URI getUri() {
        return uri;
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        return status(fs.getFileStatus(hadoop(f)));
    }

    @Override
    public BlockLocation[] getFileBlockLocations(FileStatus file, long start, long len) {
        return new BlockLocation[0];
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        return open(f);
    }

    @Override
    public FSDataInputStream open(Path f) throws IOException {
        return new In(fs.open(hadoop(f)));
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        org.apache.hadoop.fs.FileStatus[] children = fs.listStatus(hadoop(f));
        FileStatus[] out = new FileStatus[children.length];
        for (int i = 0; i < children.length; i++) {
            out[i] = status(children[i]);
        }
        return out;
    }

    /**
     * Every object below {@code dir}, however deep, in few LIST calls (one per thousand keys rather
     * than one per folder).
     */
    public List<FileStatus> listFilesRecursively(Path dir) throws IOException {
        List<FileStatus> out = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it;
        try {
            it = fs.listFiles(hadoop(dir), true);
        } catch (FileNotFoundException e) {
            return out;
        }
        while (it.hasNext()) {
            out.add(status(it.next()));
        }
        return out;
    }

    @Override
    public boolean exists(Path f) throws IOException {
        return fs.exists(hadoop(f));
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
        return fs.delete(hadoop(f), recursive);
    }

    @Override
    public boolean mkdirs(Path f) throws IOException {
        return fs.mkdirs(hadoop(f));
    }

    @Override
    public FSDataOutputStream create(Path f, WriteMode overwriteMode) throws IOException {
        return new Out(fs.create(hadoop(f), overwriteMode == WriteMode.OVERWRITE));
    }

    /**
     * Writes {@code bytes} as the object {@code f}, replacing any object there. The object appears
     * whole when the upload completes; if anything fails, the upload is aborted and nothing
     * appears.
     */
    public void writeWhole(Path f, byte[] bytes) throws IOException {
        org.apache.hadoop.fs.FSDataOutputStream out = fs.create(hadoop(f), true);
        boolean written = false;
        try {
            out.write(bytes);
            written = true;
        } finally {
            if (written) {
                out.close();
            } else if (out.getWrappedStream() instanceof Abortable a) {
                a.abort();
            }
        }
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        return fs.rename(hadoop(src), hadoop(dst));
    }

    @Override
    public boolean isDistributedFS() {
        return true;
    }

    private static org.apache.hadoop.fs.Path hadoop(Path p) {
        return new org.apache.hadoop.fs.Path(p.toUri());
    }

    private FileStatus status(org.apache.hadoop.fs.FileStatus s) {
        URI u = s.getPath().toUri();
        // Keep the caller's scheme (s3:// stays s3://).
        Path path =
                new Path(
                        URI.create(
                                uri.getScheme()
                                        + "://"
                                        + u.getRawAuthority()
                                        + (u.getRawPath() == null ? "" : u.getRawPath())));
        return new Status(path, s.getLen(), s.getModificationTime(), s.isDirectory());
    }

    private record Status(Path path, long len, long modificationTime, boolean dir)
            implements FileStatus {
        @Override
        public long getLen() {
            return len;
        }

        @Override
        public long getBlockSize() {
            return len;
        }

        @Override
        public short getReplication() {
            return 1;
        }

        @Override
        public long getModificationTime() {
            return modificationTime;
        }

        @Override
        public long getAccessTime() {
            return 0;
        }

        @Override
        public boolean isDir() {
            return dir;
        }

        @Override
        public Path getPath() {
            return path;
        }
    }

    private static final class In extends FSDataInputStream {
        private final org.apache.hadoop.fs.FSDataInputStream in;

        In(org.apache.hadoop.fs.FSDataInputStream in) {
            this.in = in;
        }

        @Override
        public void seek(long desired) throws IOException {
            in.seek(desired);
        }

        @Override
        public long getPos() throws IOException {
            return in.getPos();
        }

        @Override
        public int read() throws IOException {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public long skip(long n) throws IOException {
            return in.skip(n);
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static final class Out extends FSDataOutputStream {
        private final org.apache.hadoop.fs.FSDataOutputStream out;

        Out(org.apache.hadoop.fs.FSDataOutputStream out) {
            this.out = out;
        }

        @Override
        public long getPos() throws IOException {
            return out.getPos();
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void sync() throws IOException {
            // Nothing is visible before close on S3.
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
