package dev.omniscribe.udfs.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.FlinkPaths;
import dev.omniscribe.udfs.fs.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.List;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Where outputs go: {@code <output>/<relative input path>.<extension>} (the file name as {@link
 * OutputNames} makes it), and {@code <output>/_failures.jsonl}. Works on any Flink file system
 * (local, {@code s3a://}).
 *
 * @param outputDir the output folder's URI
 * @param formats the formats written per input
 * @param storage how the output folder is reached (S3 settings)
 * @param names how outputs are named after their input
 */
public record OutputLayout(
        String outputDir, List<OutputFormat> formats, Storage storage, OutputNames names)
        implements Serializable {

    public static final String FAILURES_FILE = "_failures.jsonl";

    /** Suffix of a per-input failure marker ({@link #failureMarkerFor}). */
    public static final String FAILURE_MARKER_SUFFIX = ".failed.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public OutputLayout {
        formats = List.copyOf(formats);
        storage = storage == null ? Storage.DEFAULT : storage;
        names = names == null ? OutputNames.DEFAULT : names;
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("at least one output format is required");
        }
    }

    /** Outputs below {@code outputDir} named as their inputs ({@link OutputNames#DEFAULT}). */
    public OutputLayout(String outputDir, List<OutputFormat> formats, Storage storage) {
        this(outputDir, formats, storage, OutputNames.DEFAULT);
    }

    /** Outputs below {@code outputDir}, reached with the default {@link Storage}. */
    public OutputLayout(String outputDir, List<OutputFormat> formats) {
        this(outputDir, formats, Storage.DEFAULT);
    }

    public Path outputFor(String relativePath, OutputFormat format) {
        return below(names.apply(relativePath) + "." + format.extension());
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

    /** What a rerun finds of an input's outputs. */
    public enum Existing {
        /** Some format's output is missing: transcribe it. */
        MISSING,
        /**
         * All there, made by the same model with the same options (or, without a JSON output to
         * tell, simply all there): skip it.
         */
        CURRENT,
        /** All there, but made by another model: transcribe it again. */
        OTHER_MODEL,
        /** All there, but made with other options: transcribe it again. */
        OTHER_OPTIONS
    }

    /**
     * Whether this input's outputs are all there and were made as {@code expected} says. The JSON
     * output records what made it; when JSON is not among the formats, presence alone decides.
     * Unreadable JSON counts as made by another model.
     */
    public Existing check(String relativePath, Provenance expected) throws IOException {
        for (OutputFormat f : formats) {
            Path p = outputFor(relativePath, f);
            FileSystem fs = storage.fileSystem(p);
            if (!fs.exists(p)) {
                return Existing.MISSING;
            }
        }
        if (!formats.contains(OutputFormat.JSON)) {
            return Existing.CURRENT;
        }
        Path json = outputFor(relativePath, OutputFormat.JSON);
        JsonNode recorded;
        try (InputStream in = storage.fileSystem(json).open(json)) {
            recorded = JSON.readTree(in);
        } catch (JsonProcessingException e) {
            return Existing.OTHER_MODEL;
        }
        return switch (expected.compare(recorded)) {
            case SAME -> Existing.CURRENT;
            case OTHER_MODEL -> Existing.OTHER_MODEL;
            case OTHER_OPTIONS -> Existing.OTHER_OPTIONS;
        };
    }
}
