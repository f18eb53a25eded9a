package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.AudioFile;
import dev.omniscribe.udfs.FlinkPaths;
import dev.omniscribe.udfs.fs.Storage;
import java.time.Duration;
import org.apache.flink.connector.file.src.FileSource;

/** FLIP-27 sources of audio files. */
public final class AudioSources {

    private AudioSources() {}

    /**
     * Every file below {@code input} (a local folder or any Flink file system URI such as {@code
     * s3a://bucket/prefix}), recursively, one {@link AudioFile} per file, skipping what {@link
     * AudioFileFilter} skips.
     *
     * @param input the input folder's URI
     * @param excluded a folder to leave out (the output folder when it is inside the input), or
     *     null
     * @param watchInterval when not null, keep watching the folder for new files at this interval
     *     (unbounded); otherwise read the files present at start (bounded)
     */
    public static FileSource<AudioFile> folder(
            String input, String excluded, Duration watchInterval) {
        return folder(input, excluded, watchInterval, Storage.DEFAULT);
    }

    /**
     * A watched inbox on a file system every task manager sees: each file is read once it appears
     * (files must appear whole: written elsewhere and renamed or linked in), with the options of
     * its folder's {@link dev.omniscribe.udfs.FileOptions#FOLDER_FILE} if it has one, and forgotten
     * once it is removed ({@link InboxSource}). The HTTP service feeds its resident job this way.
     *
     * @param input the inbox folder's URI
     * @param pollInterval how often the inbox is listed
     */
    public static InboxSource inbox(String input, Duration pollInterval) {
        return new InboxSource(input, pollInterval);
    }

    /**
     * As {@link #folder(String, String, Duration)}, with {@code storage}'s settings for {@code
     * s3a://} inputs.
     *
     * <p>Watched, the source checkpoints the files it has already handed out, so a job restored
     * from a checkpoint or savepoint neither reads a file twice nor misses one that arrived while
     * it was stopped. An S3 object is listed only once its upload has completed (S3 makes an object
     * visible whole); a local file is listed once it has not changed for {@link
     * AudioFileLister#SETTLE_MILLIS} ms, so a file still being copied in is picked up at a later
     * poll.
     */
    public static FileSource<AudioFile> folder(
            String input, String excluded, Duration watchInterval, Storage storage) {
        AudioFileFilter filter = new AudioFileFilter(input, excluded);
        FileSource.FileSourceBuilder<AudioFile> builder =
                FileSource.forBulkFileFormat(new AudioFileFormat(input), FlinkPaths.of(input))
                        .setFileEnumerator(
                                AudioFileLister.provider(
                                        filter,
                                        storage,
                                        watchInterval == null ? 0 : AudioFileLister.SETTLE_MILLIS));
        if (watchInterval != null) {
            builder.monitorContinuously(watchInterval);
        }
        return builder.build();
    }
}
