package dev.omniscribe.udfs;

import java.util.Locale;

/**
 * How a segment's generation ended, as the JSON transcript reports it ({@code "finish"}).
 * Generation that hit its token budget or fell into a repetition loop is cut and retried once
 * ({@link TranscribeFunction}).
 */
public enum Finish {
    /** The model ended its answer. */
    STOP,
    /** The segment's token budget ran out. */
    MAX_TOKENS,
    /** The output fell into a loop of one repeated run of tokens. */
    REPETITION;

    /** The name in the JSON transcript: {@code stop}, {@code max_tokens}, {@code repetition}. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}
