package dev.omniscribe.udfs;

import java.io.Serializable;

/**
 * A stretch of detected speech (padded as {@link SpeechDetection} says), or of a whole segment's
 * audio when speech detection is off.
 *
 * @param startMs start in the file, in milliseconds
 * @param endMs end in the file (exclusive), in milliseconds
 */
public record SpeechRegion(long startMs, long endMs) implements Serializable {

    public SpeechRegion {
        if (endMs < startMs) {
            throw new IllegalArgumentException(
                    "speech region ends (" + endMs + " ms) before it starts (" + startMs + " ms)");
        }
    }

    public long durationMs() {
        return endMs - startMs;
    }
}
