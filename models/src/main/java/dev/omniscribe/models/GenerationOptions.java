package dev.omniscribe.models;

import java.io.Serializable;

/**
 * How to generate the transcript of one segment.
 *
 * @param maxNewTokens upper bound on generated tokens (also bounded by the model's context)
 * @param temperature 0 for greedy decoding; otherwise the sampling temperature
 * @param repetitionPenalty transformers-style repetition penalty over prompt and generated tokens;
 *     1 disables it
 * @param seed seed of the sampling random generator (ignored when greedy)
 * @param systemPrompt the system message; null takes the model folder's default
 * @param userPrompt the whole instruction, replacing the model folder's (and its language wording);
 *     it stands where the folder places its instruction (before or after the audio), or, where it
 *     contains {@value #AUDIO_MARKER}, the audio stands there; null takes the model folder's
 *     instruction for {@code language}
 * @param language ISO 639-1 code of the spoken language, named in the model folder's instruction
 *     ({@code prompt.user_language}); null for the instruction that names none
 * @param context text given to the model as context for the transcription (earlier text, names,
 *     spelling), put before the instruction with the model folder's {@code prompt.context} wording;
 *     null for none
 */
public record GenerationOptions(
        int maxNewTokens,
        double temperature,
        double repetitionPenalty,
        long seed,
        String systemPrompt,
        String userPrompt,
        String language,
        String context)
        implements Serializable {

    /** Where a {@link #userPrompt()} holding it puts the audio. */
    public static final String AUDIO_MARKER = "{audio}";

    /** Options without language or context. */
    public GenerationOptions(
            int maxNewTokens,
            double temperature,
            double repetitionPenalty,
            long seed,
            String systemPrompt,
            String userPrompt) {
        this(
                maxNewTokens,
                temperature,
                repetitionPenalty,
                seed,
                systemPrompt,
                userPrompt,
                null,
                null);
    }

    /** The old service's limit of new tokens per segment. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 8192;

    /** The old service's sampling temperature. */
    public static final double DEFAULT_TEMPERATURE = 0.1;

    /** The old service's repetition penalty. */
    public static final double DEFAULT_REPETITION_PENALTY = 1.1;

    /** Highest accepted temperature (OpenAI's API takes 0 to 2 where it takes one). */
    public static final double MAX_TEMPERATURE = 2.0;

    /** Highest accepted repetition penalty. */
    public static final double MAX_REPETITION_PENALTY = 10.0;

    /** The old service's defaults: 8192 new tokens, temperature 0.1, repetition penalty 1.1. */
    public static final GenerationOptions DEFAULTS =
            new GenerationOptions(
                    DEFAULT_MAX_NEW_TOKENS,
                    DEFAULT_TEMPERATURE,
                    DEFAULT_REPETITION_PENALTY,
                    0L,
                    null,
                    null);

    public GenerationOptions {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException(
                    "max new tokens must be at least 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw new IllegalArgumentException(
                    "temperature must be 0 (greedy) to "
                            + MAX_TEMPERATURE
                            + ", got "
                            + temperature);
        }
        if (!(repetitionPenalty > 0 && repetitionPenalty <= MAX_REPETITION_PENALTY)) {
            throw new IllegalArgumentException(
                    "repetition penalty must be above 0 and at most "
                            + MAX_REPETITION_PENALTY
                            + " (1 disables it), got "
                            + repetitionPenalty);
        }
        language = language == null ? null : Languages.code(language);
        if (context != null && context.isBlank()) {
            context = null;
        }
    }

    /** Greedy decoding with the given token limit and repetition penalty 1. */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 1.0, 0L, null, null);
    }

    public GenerationOptions withTemperature(double t) {
        return new GenerationOptions(
                maxNewTokens,
                t,
                repetitionPenalty,
                seed,
                systemPrompt,
                userPrompt,
                language,
                context);
    }

    public GenerationOptions withMaxNewTokens(int n) {
        return new GenerationOptions(
                n,
                temperature,
                repetitionPenalty,
                seed,
                systemPrompt,
                userPrompt,
                language,
                context);
    }

    public GenerationOptions withRepetitionPenalty(double p) {
        return new GenerationOptions(
                maxNewTokens, temperature, p, seed, systemPrompt, userPrompt, language, context);
    }

    public GenerationOptions withSeed(long s) {
        return new GenerationOptions(
                maxNewTokens,
                temperature,
                repetitionPenalty,
                s,
                systemPrompt,
                userPrompt,
                language,
                context);
    }

    /** The same options with the system message and the whole instruction given. */
    public GenerationOptions withPrompts(String system, String user) {
        return new GenerationOptions(
                maxNewTokens,
                temperature,
                repetitionPenalty,
                seed,
                system,
                user,
                language,
                context);
    }

    /** The same options for the spoken language {@code code} (ISO 639-1), or null for none. */
    public GenerationOptions withLanguage(String code) {
        return new GenerationOptions(
                maxNewTokens,
                temperature,
                repetitionPenalty,
                seed,
                systemPrompt,
                userPrompt,
                code,
                context);
    }

    /** The same options with {@code text} as context, or null for none. */
    public GenerationOptions withContext(String text) {
        return new GenerationOptions(
                maxNewTokens,
                temperature,
                repetitionPenalty,
                seed,
                systemPrompt,
                userPrompt,
                language,
                text);
    }
}
