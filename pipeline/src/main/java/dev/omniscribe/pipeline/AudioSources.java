package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.AudioFile;
import dev.omniscribe.udfs.FlinkPaths;
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
        AudioFileFilter filter = new AudioFileFilter(input, excluded);
        FileSource.FileSourceBuilder<AudioFile> builder =
                FileSource.forBulkFileFormat(new AudioFileFormat(input), FlinkPaths.of(input))
                        .setFileEnumerator(AudioFileLister.provider(filter));
        if (watchInterval != null) {
            builder.monitorContinuously(watchInterval);
        }
        return builder.build();
    }
}
