package dev.omniscribe.submitter.jobs;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A finished transcript as the pipeline wrote it.
 *
 * @param text the whole transcript (the {@code .txt} file)
 * @param durationS audio duration in seconds
 * @param model name of the model that produced it
 * @param segments the segments in order
 * @param files output files by format ({@code txt}, {@code srt}, {@code vtt}, {@code json})
 * @param language the spoken language: the ISO 639-1 code given or detected, or {@code unknown}
 */
public record Transcript(
        String text,
        double durationS,
        String model,
        List<Segment> segments,
        Map<String, Path> files,
        String language) {

    /**
     * One transcribed segment.
     *
     * @param index 0-based position in the file
     * @param startMs start in milliseconds from the file's beginning
     * @param endMs end in milliseconds
     * @param text the segment's text after post-processing
     * @param finish how its generation ended: {@code stop}, {@code max_tokens} (cut at its token
     *     budget) or {@code repetition} (cut at a repetition loop)
     * @param channel 0 when the file's channels were mixed, else the channel (from 1)
     */
    public record Segment(
            int index, long startMs, long endMs, String text, String finish, int channel) {}
}
