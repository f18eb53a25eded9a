package dev.omniscribe.udfs;

import java.io.Serializable;

/**
 * How audio is cut into segments.
 *
 * @param targetMs the longest segment, in milliseconds; cuts fall in the quietest stretch of the
 *     last third before it (at most 10 s before it)
 */
public record SegmentationSettings(long targetMs) implements Serializable {

    /** The model's audio processor truncates input above 300 s. */
    public static final long MAX_TARGET_MS = 300_000;

    public static final long MIN_TARGET_MS = 1_000;

    /** 30 s: one full encoder pass of the model, and readable subtitle blocks. */
    public static final int DEFAULT_SECONDS = 30;

    public static final SegmentationSettings DEFAULT =
            new SegmentationSettings(DEFAULT_SECONDS * 1000L);

    public SegmentationSettings {
        if (targetMs > MAX_TARGET_MS) {
            throw new IllegalArgumentException(
                    "segment duration must be at most 300 s: the model reads at most 300 s of"
                            + " audio per segment and would silently drop the rest; got "
                            + targetMs / 1000.0
                            + " s");
        }
        if (targetMs < MIN_TARGET_MS) {
            throw new IllegalArgumentException(
                    "segment duration must be at least 1 s, got " + targetMs / 1000.0 + " s");
        }
    }

    public static SegmentationSettings ofSeconds(double seconds) {
        return new SegmentationSettings(Math.round(seconds * 1000));
    }

    /** Length of the stretch before the target in which a cut is searched, in milliseconds. */
    public long searchWindowMs() {
        return Math.min(targetMs / 3, 10_000);
    }
}
