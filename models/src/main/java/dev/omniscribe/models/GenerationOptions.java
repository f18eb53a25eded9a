package dev.omniscribe.models;

/**
 * How to generate the transcript of one segment.
 *
 * @param maxNewTokens upper bound on generated tokens (also bounded by the model's context)
 * @param temperature 0 for greedy decoding; otherwise the sampling temperature
 * @param repetitionPenalty transformers-style repetition penalty over prompt and generated tokens;
 *     1 disables it
 * @param seed seed of the sampling random generator (ignored when greedy)
 * @param systemPrompt the system message; null takes the model folder's default
 * @param userPrompt the instruction placed after the audio; null takes the model folder's default
 */
public record GenerationOptions(
        int maxNewTokens,
        double temperature,
        double repetitionPenalty,
        long seed,
        String systemPrompt,
        String userPrompt) {

    /** The old service's defaults: 8192 new tokens, temperature 0.1, repetition penalty 1.1. */
    public static final GenerationOptions DEFAULTS =
            new GenerationOptions(8192, 0.1, 1.1, 0L, null, null);

    public GenerationOptions {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException(
                    "max new tokens must be at least 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException(
                    "temperature must be 0 (greedy) or positive, got " + temperature);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException(
                    "repetition penalty must be positive (1 disables it), got "
                            + repetitionPenalty);
        }
    }

    /** Greedy decoding with the given token limit and repetition penalty 1. */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 1.0, 0L, null, null);
    }

    public GenerationOptions withTemperature(double t) {
        return new GenerationOptions(
                maxNewTokens, t, repetitionPenalty, seed, systemPrompt, userPrompt);
    }

    public GenerationOptions withMaxNewTokens(int n) {
        return new GenerationOptions(
                n, temperature, repetitionPenalty, seed, systemPrompt, userPrompt);
    }

    public GenerationOptions withRepetitionPenalty(double p) {
        return new GenerationOptions(maxNewTokens, temperature, p, seed, systemPrompt, userPrompt);
    }

    public GenerationOptions withSeed(long s) {
        return new GenerationOptions(
                maxNewTokens, temperature, repetitionPenalty, s, systemPrompt, userPrompt);
    }

    public GenerationOptions withPrompts(String system, String user) {
        return new GenerationOptions(
                maxNewTokens, temperature, repetitionPenalty, seed, system, user);
    }
}
