package dev.omniscribe.udfs;

import java.net.URI;
import java.net.URISyntaxException;
import org.apache.flink.core.fs.Path;

/**
 * Flink {@link Path}s that survive any file name. {@code new Path(String)} re-quotes {@code %} and
 * takes a colon in a file name for a scheme; these build paths from URI parts instead.
 */
public final class FlinkPaths {

    private FlinkPaths() {}

    /** A path from a URI string ({@code file:/a/my%20talk.mp3}, {@code s3a://b/k}). */
    public static Path of(String uri) {
        try {
            return new Path(new URI(uri));
        } catch (URISyntaxException e) {
            // Not an encoded URI (say, s3a://bucket/with space): let Flink parse it.
            return new Path(uri);
        }
    }

    /** {@code parent/name}, for any {@code name} (spaces, '#', '%', ':'). */
    public static Path child(Path parent, String name) {
        URI base = parent.toUri();
        String dir = base.getPath().endsWith("/") ? base.getPath() : base.getPath() + "/";
        try {
            return new Path(new URI(base.getScheme(), base.getAuthority(), dir + name, null, null));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot name " + name + " below " + parent, e);
        }
    }
}
