package dev.omniscribe.pipeline;

import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.udfs.BatchSettings;
import dev.omniscribe.udfs.EngineSettings;
import dev.omniscribe.udfs.FileOptions;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.util.Objects;

/**
 * Everything the job graph needs besides its source and sinks, resolved for where it runs ({@link
 * JobOptions#settings} makes it from a user's options).
 *
 * @param segmentation how audio is cut
 * @param engine the engine per slot and where it runs
 * @param batching how segments are grouped into batched generations
 * @param generation how each segment's text is generated
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
        BatchSettings batching,
        GenerationOptions generation,
        ChineseConversion conversion,
        String ffmpegDir,
        int parallelism,
        int decodeParallelism,
        OutputLayout skipCompleted,
        Storage storage) {

    public JobSettings {
        Objects.requireNonNull(segmentation, "segmentation");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(batching, "batching");
        Objects.requireNonNull(generation, "generation");
        Objects.requireNonNull(conversion, "conversion");
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

    /** How files without options of their own are transcribed. */
    public FileOptions fileOptions() {
        return new FileOptions(segmentation, generation, conversion);
    }
}
