package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.EngineSettings;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.format.OutputLayout;
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
 */
public record JobSettings(
        SegmentationSettings segmentation,
        EngineSettings engine,
        ChineseConversion conversion,
        String ffmpegDir,
        int parallelism,
        int decodeParallelism,
        OutputLayout skipCompleted) {

    public JobSettings {
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
