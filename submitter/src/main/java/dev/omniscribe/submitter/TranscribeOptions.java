package dev.omniscribe.submitter;

import java.util.Locale;

/**
 * The options that change a transcript. Two requests with the same audio and equal options get the
 * same result, which is what the result cache relies on.
 *
 * @param segmentDurationS target segment length in seconds (the model truncates above 300 s)
 * @param maxNewTokens upper bound on generated tokens per segment
 * @param temperature 0 for greedy decoding, else the sampling temperature
 * @param repetitionPenalty transformers-style repetition penalty; 1 disables it
 * @param s2t convert Simplified to Traditional Chinese (OpenCC s2t)
 * @param prompt instruction given to the model instead of the model folder's default; null for the
 *     default
 */
public record TranscribeOptions(
        int segmentDurationS,
        int maxNewTokens,
        double temperature,
        double repetitionPenalty,
        boolean s2t,
        String prompt) {

    /** Longest segment the model accepts, in seconds. */
    public static final int MAX_SEGMENT_DURATION_S = 300;

    /** Longest accepted prompt, in characters. */
    public static final int MAX_PROMPT_CHARS = 2000;

    /** The old service's generation defaults with 30-second segments. */
    public static final TranscribeOptions DEFAULTS =
            new TranscribeOptions(30, 8192, 0.1, 1.1, false, null);

    public TranscribeOptions {
        if (segmentDurationS < 1 || segmentDurationS > MAX_SEGMENT_DURATION_S) {
            throw new IllegalArgumentException(
                    "segment duration must be 1.."
                            + MAX_SEGMENT_DURATION_S
                            + " seconds (the model truncates longer audio), got "
                            + segmentDurationS);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException(
                    "max new tokens must be at least 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0 && temperature <= 2)) {
            throw new IllegalArgumentException(
                    "temperature must be 0 (greedy) to 2, got " + temperature);
        }
        if (!(repetitionPenalty > 0 && repetitionPenalty <= 10)) {
            throw new IllegalArgumentException(
                    "repetition penalty must be above 0 and at most 10 (1 disables it), got "
                            + repetitionPenalty);
        }
        if (prompt != null && prompt.isBlank()) {
            prompt = null;
        }
        if (prompt != null && prompt.length() > MAX_PROMPT_CHARS) {
            throw new IllegalArgumentException(
                    "prompt must be at most " + MAX_PROMPT_CHARS + " characters");
        }
    }

    /** A stable text form of every option, for cache keys and job records. */
    public String canonical() {
        return String.format(
                Locale.ROOT,
                "segment_duration=%d;max_new_tokens=%d;temperature=%s;repetition_penalty=%s;s2t=%b;prompt=%s",
                segmentDurationS,
                maxNewTokens,
                Double.toString(temperature),
                Double.toString(repetitionPenalty),
                s2t,
                prompt == null ? "" : prompt);
    }

    public TranscribeOptions withSegmentDurationS(int s) {
        return new TranscribeOptions(s, maxNewTokens, temperature, repetitionPenalty, s2t, prompt);
    }

    public TranscribeOptions withMaxNewTokens(int n) {
        return new TranscribeOptions(
                segmentDurationS, n, temperature, repetitionPenalty, s2t, prompt);
    }

    public TranscribeOptions withTemperature(double t) {
        return new TranscribeOptions(
                segmentDurationS, maxNewTokens, t, repetitionPenalty, s2t, prompt);
    }

    public TranscribeOptions withRepetitionPenalty(double p) {
        return new TranscribeOptions(segmentDurationS, maxNewTokens, temperature, p, s2t, prompt);
    }

    public TranscribeOptions withS2t(boolean on) {
        return new TranscribeOptions(
                segmentDurationS, maxNewTokens, temperature, repetitionPenalty, on, prompt);
    }

    public TranscribeOptions withPrompt(String p) {
        return new TranscribeOptions(
                segmentDurationS, maxNewTokens, temperature, repetitionPenalty, s2t, p);
    }
}
