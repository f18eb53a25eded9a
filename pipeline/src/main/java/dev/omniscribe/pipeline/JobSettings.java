package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.EngineSettings;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.text.ChineseConversion;

/**
 * Everything the job graph needs besides its source and sinks.
 *
 * @param segmentation how audio is cut
 * @param engine the engine per slot and its generation options
 * @param conversion OpenCC conversion of the text
 * @param ffmpegDir a folder with a system ffmpeg and ffprobe, or null for the bundled ones
 * @param parallelism transcription slots (one engine each), merge and writers
 * @param decodeParallelism parallel decoders (ffmpeg processes) and file readers
 * @param skipCompleted outputs to check for a rerun (inputs with all outputs present are skipped),
 *     or null to transcribe everything
 * @param storage how inputs are reached ({@code s3a://} settings); outputs follow their {@link
 *     OutputLayout}
 */
public record JobSettings(
        SegmentationSettings segmentation,
        EngineSettings engine,
        ChineseConversion conversion,
        String ffmpegDir,
        int parallelism,
        int decodeParallelism,
        OutputLayout skipCompleted,
        Storage storage) {

    /** Settings with inputs reached through the default {@link Storage}. */
    public JobSettings(
            SegmentationSettings segmentation,
            EngineSettings engine,
            ChineseConversion conversion,
            String ffmpegDir,
            int parallelism,
            int decodeParallelism,
            OutputLayout skipCompleted) {
        this(
                segmentation,
                engine,
                conversion,
                ffmpegDir,
                parallelism,
                decodeParallelism,
                skipCompleted,
                Storage.DEFAULT);
    }

    public JobSettings {
        storage = storage == null ? Storage.DEFAULT : storage;
        if (parallelism < 1) {
            throw new IllegalArgumentException(
                    "parallelism must be at least 1, got " + parallelism);
        }
        if (decodeParallelism < 1) {
            throw new IllegalArgumentException(
                    "decode parallelism must be at least 1, got " + decodeParallelism);
        }
    }
}
