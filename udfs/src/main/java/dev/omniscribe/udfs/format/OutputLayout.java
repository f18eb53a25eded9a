package dev.omniscribe.udfs.format;

import dev.omniscribe.udfs.FlinkPaths;
import dev.omniscribe.udfs.fs.Storage;
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
 * @param storage how the output folder is reached (S3 settings)
 */
public record OutputLayout(String outputDir, List<OutputFormat> formats, Storage storage)
        implements Serializable {

    public static final String FAILURES_FILE = "_failures.jsonl";

    /** Suffix of a per-input failure marker ({@link #failureMarkerFor}). */
    public static final String FAILURE_MARKER_SUFFIX = ".failed.json";

    public OutputLayout {
        formats = List.copyOf(formats);
        storage = storage == null ? Storage.DEFAULT : storage;
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("at least one output format is required");
        }
    }

    /** Outputs below {@code outputDir}, reached with the default {@link Storage}. */
    public OutputLayout(String outputDir, List<OutputFormat> formats) {
        this(outputDir, formats, Storage.DEFAULT);
    }

    public Path outputFor(String relativePath, OutputFormat format) {
        return below(relativePath + "." + format.extension());
    }

    /**
     * Where {@link dev.omniscribe.udfs.sink.FailureMarkerSink} says that one input failed: {@code
     * <output>/<relative path>.failed.json}.
     */
    public Path failureMarkerFor(String relativePath) {
        return below(relativePath + FAILURE_MARKER_SUFFIX);
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
            FileSystem fs = storage.fileSystem(p);
            if (!fs.exists(p)) {
                return false;
            }
        }
        return true;
    }
}
