package dev.omniscribe.models;

import java.util.Objects;

/**
 * One segment to transcribe.
 *
 * @param samples mono PCM at 16 kHz, values in [-1, 1]; not copied, must not be mutated while in
 *     use
 * @param options generation options for this segment
 */
public record GenerationRequest(float[] samples, GenerationOptions options) {

    public GenerationRequest {
        Objects.requireNonNull(samples, "samples");
        Objects.requireNonNull(options, "options");
    }
}
