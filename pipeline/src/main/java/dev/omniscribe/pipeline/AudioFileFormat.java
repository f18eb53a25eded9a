package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.AudioFile;
import dev.omniscribe.udfs.FileOptions;
import dev.omniscribe.udfs.FlinkPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.SingletonResultIterator;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads nothing: turns each file split into one {@link AudioFile} (its URI, its path below the
 * input root, its size). The decoder opens the file itself, so that ffmpeg can read (and seek in)
 * local files directly.
 *
 * <p>Recovery: a split restored with a checkpointed position past its one record yields nothing;
 * otherwise the file's record is emitted again (at-least-once per file; the merge and the atomic
 * writers make a repeat harmless).
 */
public final class AudioFileFormat implements BulkFormat<AudioFile, FileSourceSplit> {

    private static final Logger LOG = LoggerFactory.getLogger(AudioFileFormat.class);

    private final String root;
    private final boolean folderOptions;

    /**
     * @param root the input root's URI; relative paths are taken below it
     */
    public AudioFileFormat(String root) {
        this(root, false);
    }

    /**
     * @param root the input root's URI; relative paths are taken below it
     * @param folderOptions whether a file's folder may hold a {@link FileOptions#FOLDER_FILE} with
     *     the options of its files (else every file takes the job's)
     */
    public AudioFileFormat(String root, boolean folderOptions) {
        this.root = root;
        this.folderOptions = folderOptions;
    }

    @Override
    public Reader<AudioFile> createReader(Configuration config, FileSourceSplit split) {
        return new OneRecordReader(toRecord(split), 0);
    }

    @Override
    public Reader<AudioFile> restoreReader(Configuration config, FileSourceSplit split) {
        long done =
                split.getReaderPosition()
                        .map(CheckpointedPosition::getRecordsAfterOffset)
                        .orElse(0L);
        return new OneRecordReader(toRecord(split), done);
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<AudioFile> getProducedType() {
        return TypeInformation.of(AudioFile.class);
    }

    private AudioFile toRecord(FileSourceSplit split) {
        Path path = split.path();
        return new AudioFile(
                path.toUri().toString(),
                relativePath(root, path),
                split.fileSize(),
                folderOptions ? optionsOf(path) : null);
    }

    /** The options in the file's folder, or null (the job's) when there are none or unreadable. */
    private static FileOptions optionsOf(Path file) {
        Path options = new Path(file.getParent(), FileOptions.FOLDER_FILE);
        try {
            FileSystem fs = options.getFileSystem();
            if (!fs.exists(options)) {
                return null;
            }
            try (FSDataInputStream in = fs.open(options)) {
                return FileOptions.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn(
                    "{}: cannot read its folder's options ({}); the job's apply",
                    file,
                    e.toString());
            return null;
        }
    }

    /** {@code path} below {@code root}, with {@code /} separators. */
    static String relativePath(String root, Path path) {
        String r = FlinkPaths.of(root).toUri().getPath();
        String p = path.toUri().getPath();
        if (!r.endsWith("/")) {
            r = r + "/";
        }
        if (p.startsWith(r)) {
            return p.substring(r.length());
        }
        // The root is the file itself.
        return path.getName();
    }

    private static final class OneRecordReader implements BulkFormat.Reader<AudioFile> {
        private final AudioFile file;
        private boolean emitted;

        OneRecordReader(AudioFile file, long alreadyEmitted) {
            this.file = file;
            this.emitted = alreadyEmitted > 0;
        }

        @Override
        public RecordIterator<AudioFile> readBatch() {
            if (emitted) {
                return null;
            }
            emitted = true;
            SingletonResultIterator<AudioFile> it = new SingletonResultIterator<>();
            it.set(file, CheckpointedPosition.NO_OFFSET, 1);
            return it;
        }

        @Override
        public void close() throws IOException {}
    }
}
