package dev.omniscribe.udfs;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * How audio is cut into segments.
 *
 * @param targetMs the longest segment, in milliseconds
 * @param speechDetection whether segments are speech found by Silero VAD ({@link SpeechDetection}:
 *     speech regions merged up to {@code targetMs}, cut in pauses, everything else dropped), or,
 *     when false, the whole audio cut in the quietest stretch of the last third before {@code
 *     targetMs} (at most 10 s before it)
 * @param channels whether channels are mixed into one or each transcribed on its own
 */
public record SegmentationSettings(long targetMs, boolean speechDetection, Channels channels)
        implements Serializable {

    /** How a file's channels are transcribed. */
    public enum Channels {
        /** Mixed down to one channel. */
        MIXED,
        /** Each channel on its own, cues labelled with the channel ({@code [ch1]}, ...). */
        SPLIT;

        /** {@code mixed} or {@code split}. */
        public static Channels parse(String name) {
            for (Channels c : values()) {
                if (c.name().equalsIgnoreCase(name.trim())) {
                    return c;
                }
            }
            throw new IllegalArgumentException(
                    "channels must be 'mixed' or 'split', got '" + name + "'");
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The model's audio processor truncates input above 300 s. */
    public static final long MAX_TARGET_MS = 300_000;

    public static final long MIN_TARGET_MS = 1_000;

    /** 30 s: one full encoder pass of the model, and readable subtitle blocks. */
    public static final int DEFAULT_SECONDS = 30;

    /** 30 s segments of detected speech, channels mixed. */
    public static final SegmentationSettings DEFAULT =
            new SegmentationSettings(DEFAULT_SECONDS * 1000L, true, Channels.MIXED);

    public SegmentationSettings {
        Objects.requireNonNull(channels, "channels");
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

    /**
     * @param seconds the longest segment
     * @param speechDetection whether segments follow detected speech
     * @param channels mixed or split
     */
    public static SegmentationSettings of(
            double seconds, boolean speechDetection, Channels channels) {
        return new SegmentationSettings(Math.round(seconds * 1000), speechDetection, channels);
    }

    /** Length of the stretch before the target in which a cut is searched, in milliseconds. */
    public long searchWindowMs() {
        return Math.min(targetMs / 3, 10_000);
    }

    /** {@code on} or {@code off}, as the options spell it. */
    public static boolean parseSpeechDetection(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default ->
                    throw new IllegalArgumentException(
                            "vad must be 'on' or 'off', got '" + value + "'");
        };
    }
}
