package dev.omniscribe.models.audio;

import java.util.Objects;

/**
 * Log-mel features of one audio segment.
 *
 * @param values row-major {@code (nMels, frames)}: {@code values[mel * frames + frame]}
 * @param nMels mel bins
 * @param frames mel frames (10 ms each at 16 kHz / hop 160)
 */
public record MelFeatures(float[] values, int nMels, int frames) {

    public MelFeatures {
        Objects.requireNonNull(values, "values");
        if (values.length != (long) nMels * frames) {
            throw new IllegalArgumentException(
                    "values has " + values.length + " entries, expected " + nMels + "×" + frames);
        }
    }
}
