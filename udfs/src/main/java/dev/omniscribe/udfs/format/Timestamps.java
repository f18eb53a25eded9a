package dev.omniscribe.udfs.format;

import java.math.BigDecimal;

/** Time formats of the outputs. */
public final class Timestamps {

    private Timestamps() {}

    /** {@code HH:MM:SS,mmm} as SRT writes it. */
    public static String srt(long ms) {
        return clock(ms, ',');
    }

    /** {@code HH:MM:SS.mmm} as WebVTT writes it. */
    public static String vtt(long ms) {
        return clock(ms, '.');
    }

    /** Seconds with millisecond precision, as JSON writes them: {@code 29.870}. */
    public static BigDecimal seconds(long ms) {
        return BigDecimal.valueOf(ms, 3);
    }

    private static String clock(long ms, char sep) {
        if (ms < 0) {
            throw new IllegalArgumentException("negative time: " + ms + " ms");
        }
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        long s = ms / 1000 % 60;
        long milli = ms % 1000;
        return String.format("%02d:%02d:%02d%c%03d", h, m, s, sep, milli);
    }
}
