package dev.omniscribe.udfs.fs;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * How the job reaches its files: {@code s3a://} (and {@code s3://}) through Hadoop's S3A client
 * with these settings, everything else through Flink's own file systems.
 *
 * <p>S3A travels in the job jar and is configured by the job (not by the cluster), so the same
 * settings apply on the embedded mini cluster and on every TaskManager of a real cluster.
 * Credentials come from S3A's standard chain: {@code fs.s3a.access.key}/{@code fs.s3a.secret.key}
 * among the options, then the {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} environment
 * variables, then the instance or container role.
 *
 * @param s3Endpoint the S3 API's base URL ({@code http://127.0.0.1:9000} for MinIO), or null for
 *     AWS itself
 * @param s3PathStyle address buckets as {@code endpoint/bucket/key} rather than {@code
 *     bucket.endpoint/key} (most S3-compatible stores need it)
 * @param s3aOptions further Hadoop S3A options, every key starting with {@code fs.s3a.}
 */
public record Storage(String s3Endpoint, boolean s3PathStyle, Map<String, String> s3aOptions)
        implements Serializable {

    /** Flink's file systems, and S3A with AWS's endpoint and the standard credentials. */
    public static final Storage DEFAULT = new Storage(null, false, Map.of());

    public Storage {
        if (s3Endpoint != null) {
            URI uri;
            try {
                uri = URI.create(s3Endpoint);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("S3 endpoint is not a URL: " + s3Endpoint);
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
                    || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "S3 endpoint must look like http://host:port or https://host, got "
                                + s3Endpoint);
            }
        }
        TreeMap<String, String> copy = new TreeMap<>();
        for (Map.Entry<String, String> e : s3aOptions.entrySet()) {
            if (!e.getKey().startsWith("fs.s3a.")) {
                throw new IllegalArgumentException(
                        "S3A options start with fs.s3a., got " + e.getKey());
            }
            copy.put(e.getKey(), e.getValue());
        }
        s3aOptions = Collections.unmodifiableMap(copy);
    }

    /** These settings with one more S3A option. */
    public Storage withS3aOption(String key, String value) {
        TreeMap<String, String> m = new TreeMap<>(s3aOptions);
        m.put(key, value);
        return new Storage(s3Endpoint, s3PathStyle, m);
    }

    /** Whether {@code path} is read and written through S3A. */
    public static boolean isS3(Path path) {
        String scheme = path.toUri().getScheme();
        return scheme != null
                && ("s3a".equals(scheme.toLowerCase(Locale.ROOT))
                        || "s3".equals(scheme.toLowerCase(Locale.ROOT)));
    }

    /**
     * The file system holding {@code path}: one shared S3A client per bucket and settings for S3,
     * Flink's for the rest.
     */
    public FileSystem fileSystem(Path path) throws IOException {
        if (isS3(path)) {
            return S3aFileSystem.get(path.toUri(), this);
        }
        return path.getFileSystem();
    }

    /** Whether files on {@code fs} appear whole on close, so that no temporary name is needed. */
    public static boolean isObjectStore(FileSystem fs) {
        return fs instanceof S3aFileSystem;
    }
}
