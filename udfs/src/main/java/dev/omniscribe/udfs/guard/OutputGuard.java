package dev.omniscribe.udfs.guard;

import java.io.Serializable;

/**
 * Bounds on what one segment may generate, so that a model that loops cannot hold a batch for
 * minutes: a token budget that follows the segment's duration, and a check for repetition loops. A
 * segment that hits its budget or loops is cut at the start of the loop and retried once at a
 * higher temperature ({@link #RETRY_TEMPERATURE_STEP} above its own, at most {@value
 * #MAX_RETRY_TEMPERATURE}).
 *
 * @param tokensPerSecond budget per second of audio; 0 turns the duration budget off (the segment's
 *     {@code max_new_tokens} alone bounds it)
 * @param extraTokens budget every segment gets on top of its seconds
 * @param repetitionCheck whether loops are looked for, cut and retried (and a segment that hits its
 *     budget is retried)
 */
public record OutputGuard(double tokensPerSecond, int extraTokens, boolean repetitionCheck)
        implements Serializable {

    /** Default budget rate: fast speech is 4-6 tokens a second, so 12 leaves twice that. */
    public static final double DEFAULT_TOKENS_PER_SECOND = 12;

    /** Default budget every segment gets on top of its seconds. */
    public static final int DEFAULT_EXTRA_TOKENS = 32;

    /** How much higher the retry's temperature is than the segment's. */
    public static final double RETRY_TEMPERATURE_STEP = 0.5;

    /** Highest retry temperature. */
    public static final double MAX_RETRY_TEMPERATURE = 1.0;

    /** 12 tokens per second of audio plus 32, loops cut and retried. */
    public static final OutputGuard DEFAULT =
            new OutputGuard(DEFAULT_TOKENS_PER_SECOND, DEFAULT_EXTRA_TOKENS, true);

    /** No duration budget and no loop check: the engine's output as it comes. */
    public static final OutputGuard OFF = new OutputGuard(0, 0, false);

    public OutputGuard {
        if (!(tokensPerSecond >= 0 && tokensPerSecond <= 1000)) {
            throw new IllegalArgumentException(
                    "tokens per second must be 0 (no duration budget) to 1000, got "
                            + tokensPerSecond);
        }
        if (extraTokens < 0) {
            throw new IllegalArgumentException(
                    "extra tokens per segment must be 0 or more, got " + extraTokens);
        }
    }

    /**
     * The token budget of a segment of {@code durationMs}: {@code ceil(tokensPerSecond × seconds) +
     * extraTokens}, at most {@code maxNewTokens} (which alone decides when the rate is 0).
     */
    public int budget(long durationMs, int maxNewTokens) {
        if (tokensPerSecond == 0) {
            return maxNewTokens;
        }
        double perAudio = Math.ceil(tokensPerSecond * Math.max(0, durationMs) / 1000.0);
        return (int) Math.max(1, Math.min(maxNewTokens, perAudio + extraTokens));
    }

    /** The retry's temperature for a segment generated at {@code temperature}. */
    public static double retryTemperature(double temperature) {
        return Math.max(
                temperature, Math.min(MAX_RETRY_TEMPERATURE, temperature + RETRY_TEMPERATURE_STEP));
    }
}
