package dev.omniscribe.udfs;

import java.io.Serializable;

/**
 * How speech is found and grouped into segments, following silero's {@code get_speech_timestamps}:
 * a window of 32 ms whose speech probability is at least {@code threshold} starts speech; speech
 * ends after {@code minSilenceMs} of windows below {@code negativeThreshold}; speech shorter than
 * {@code minSpeechMs} is dropped (one addition to silero: its windows at or above {@code
 * confidence} must add up to {@code minSpeechMs} too, so that bursts of music or noise joined by
 * short dips do not pass: on the benchmark's corpus such bursts hold at most 6 such windows, a
 * short word such as "yes" at least 11); each region is padded by {@code padMs} on both sides.
 * Regions are then merged into one segment while the pause between them is at most {@code
 * maxPauseMs} and the segment stays within the segment limit.
 *
 * @param threshold speech starts at this probability or above, in (0, 1)
 * @param negativeThreshold speech continues until the probability falls below this, in (0,
 *     threshold]
 * @param confidence windows at or above this probability count as sure speech, in [threshold, 1)
 * @param minSpeechMs shorter speech, or speech with less sure speech, is dropped, milliseconds
 * @param minSilenceMs silence that ends speech, milliseconds; at least twice {@code padMs}, so that
 *     padded regions never overlap
 * @param padMs padding on each side of a region, milliseconds
 * @param maxPauseMs longest pause kept inside a segment; a longer one ends the segment,
 *     milliseconds
 */
public record SpeechDetection(
        double threshold,
        double negativeThreshold,
        double confidence,
        long minSpeechMs,
        long minSilenceMs,
        long padMs,
        long maxPauseMs)
        implements Serializable {

    /**
     * Silero's thresholds (0.5, and 0.15 below for the end) and shortest speech (250 ms), 0.8 for
     * sure speech; 100 ms of padding (silero: 30 ms) so that a segment keeps a word's soft onset,
     * hence 200 ms of silence to end speech; pauses up to 1 s stay inside a segment.
     */
    public static final SpeechDetection DEFAULT =
            new SpeechDetection(0.5, 0.35, 0.8, 250, 200, 100, 1_000);

    public SpeechDetection {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException(
                    "speech threshold must lie between 0 and 1, got " + threshold);
        }
        if (!(negativeThreshold > 0 && negativeThreshold <= threshold)) {
            throw new IllegalArgumentException(
                    "the end-of-speech threshold must lie between 0 and the speech threshold ("
                            + threshold
                            + "), got "
                            + negativeThreshold);
        }
        if (!(confidence >= threshold && confidence < 1)) {
            throw new IllegalArgumentException(
                    "the sure-speech probability must lie between the speech threshold ("
                            + threshold
                            + ") and 1, got "
                            + confidence);
        }
        if (minSpeechMs < 0 || padMs < 0 || maxPauseMs < 0) {
            throw new IllegalArgumentException(
                    "durations of speech detection must not be negative");
        }
        if (minSilenceMs < 2 * padMs) {
            throw new IllegalArgumentException(
                    "the silence that ends speech ("
                            + minSilenceMs
                            + " ms) must be at least twice the padding ("
                            + padMs
                            + " ms), so that padded regions never overlap");
        }
    }
}
