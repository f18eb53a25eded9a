package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.FlinkPaths;
import java.io.Serializable;
import java.util.function.Predicate;
import org.apache.flink.core.fs.Path;

/**
 * Which paths under the input root are read: everything except hidden and partial files and folders
 * ({@code .*}, {@code _*}, {@code *.tmp}) and the output folder when it lies inside the input. The
 * root itself is always accepted, whatever its name.
 */
public final class AudioFileFilter implements Predicate<Path>, Serializable {

    private final String root;
    private final String excluded;

    /**
     * @param root the input root's URI
     * @param excluded a folder's URI to leave out (the output folder), or null
     */
    public AudioFileFilter(String root, String excluded) {
        this.root = trimSlash(FlinkPaths.of(root).toUri().getPath());
        this.excluded =
                excluded == null ? null : trimSlash(FlinkPaths.of(excluded).toUri().getPath());
    }

    @Override
    public boolean test(Path path) {
        String p = trimSlash(path.toUri().getPath());
        if (p.equals(root)) {
            return true;
        }
        if (excluded != null && (p.equals(excluded) || p.startsWith(excluded + "/"))) {
            return false;
        }
        String name = p.substring(p.lastIndexOf('/') + 1);
        return !(name.startsWith(".") || name.startsWith("_") || name.endsWith(".tmp"));
    }

    private static String trimSlash(String p) {
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
