package dev.omniscribe.udfs.format;

import dev.omniscribe.udfs.FlinkPaths;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Where outputs go: {@code <output>/<relative input path>.<extension>}, and {@code
 * <output>/_failures.jsonl}. Works on any Flink file system (local, {@code s3a://}).
 *
 * @param outputDir the output folder's URI
 * @param formats the formats written per input
 */
public record OutputLayout(String outputDir, List<OutputFormat> formats) implements Serializable {

    public static final String FAILURES_FILE = "_failures.jsonl";

    public OutputLayout {
        formats = List.copyOf(formats);
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("at least one output format is required");
        }
    }

    public Path outputFor(String relativePath, OutputFormat format) {
        return below(relativePath + "." + format.extension());
    }

    public Path failuresFile() {
        return below(FAILURES_FILE);
    }

    private Path below(String relative) {
        return FlinkPaths.child(FlinkPaths.of(outputDir), relative);
    }

    /** Whether every format's output of this input exists (then a rerun skips it). */
    public boolean isComplete(String relativePath) throws IOException {
        for (OutputFormat f : formats) {
            Path p = outputFor(relativePath, f);
            FileSystem fs = p.getFileSystem();
            if (!fs.exists(p)) {
                return false;
            }
        }
        return true;
    }
}
