package dev.omniscribe.submitter.http;

import dev.omniscribe.models.Languages;
import dev.omniscribe.submitter.TranscribeOptions;
import dev.omniscribe.udfs.SegmentationSettings;
import io.javalin.http.Context;
import io.javalin.validation.Validator;

/**
 * Reads transcription options from a request: the query string, or for multipart requests also the
 * form fields beside the file (the query string wins). Unset options take the server's defaults;
 * invalid ones fail with 400 naming the field.
 */
final class RequestOptions {

    private RequestOptions() {}

    /**
     * Options of {@code /transcribe*}: {@code segment_duration} (s), {@code temperature} (0 to 2),
     * {@code max_new_tokens}, {@code repetition_penalty}, {@code s2t}, {@code prompt} (the whole
     * instruction), {@code language} (ISO 639-1), {@code context}, {@code vad} ({@code on} or
     * {@code off}), {@code channels} ({@code mixed} or {@code split}).
     */
    static TranscribeOptions parse(Context ctx, TranscribeOptions defaults) {
        return parse(ctx, defaults, temperature(ctx, defaults.temperature()), "prompt", "context");
    }

    /**
     * Options of {@code /v1/audio/transcriptions}: as {@link #parse(Context, TranscribeOptions)},
     * but {@code prompt} is context (OpenAI's meaning: earlier text, names, spelling), the whole
     * instruction is the extension field {@code instruction_override}, and {@code temperature} is
     * OpenAI's 0 to 1.
     */
    static TranscribeOptions parseOpenAi(Context ctx, TranscribeOptions defaults) {
        double temperature =
                param(ctx, "temperature", Double.class)
                        .check(v -> v == null || (v >= 0 && v <= 1), "must be 0 (greedy) to 1")
                        .getOrDefault(defaults.temperature());
        return parse(ctx, defaults, temperature, "instruction_override", "prompt");
    }

    private static TranscribeOptions parse(
            Context ctx,
            TranscribeOptions defaults,
            double temperature,
            String instructionField,
            String contextField) {
        int segment =
                param(ctx, "segment_duration", Integer.class)
                        .check(
                                v ->
                                        v == null
                                                || (v >= 1
                                                        && v
                                                                <= TranscribeOptions
                                                                        .MAX_SEGMENT_DURATION_S),
                                "must be 1.."
                                        + TranscribeOptions.MAX_SEGMENT_DURATION_S
                                        + " seconds (the model truncates longer audio)")
                        .getOrDefault(defaults.segmentDurationS());
        int maxNewTokens =
                param(ctx, "max_new_tokens", Integer.class)
                        .check(v -> v == null || v >= 1, "must be at least 1")
                        .getOrDefault(defaults.maxNewTokens());
        double penalty =
                param(ctx, "repetition_penalty", Double.class)
                        .check(
                                v -> v == null || (v > 0 && v <= 10),
                                "must be above 0 and at most 10 (1 disables it)")
                        .getOrDefault(defaults.repetitionPenalty());
        boolean s2t = param(ctx, "s2t", Boolean.class).getOrDefault(defaults.s2t());
        String prompt = text(ctx, instructionField, defaults.prompt());
        String context = text(ctx, contextField, defaults.context());
        String language =
                param(ctx, "language", String.class)
                        .check(
                                v -> v == null || v.isBlank() || Languages.isCode(v),
                                "must be an ISO 639-1 code such as en, zh, fr, de, es, ja (two"
                                        + " letters)")
                        .getOrNull();
        boolean vad =
                choice(ctx, "vad", defaults.vad() ? "on" : "off", java.util.Set.of("on", "off"))
                        .equals("on");
        SegmentationSettings.Channels channels =
                SegmentationSettings.Channels.parse(
                        choice(
                                ctx,
                                "channels",
                                defaults.channels().label(),
                                java.util.Set.of("mixed", "split")));
        return new TranscribeOptions(
                segment,
                maxNewTokens,
                temperature,
                penalty,
                s2t,
                prompt,
                language == null || language.isBlank() ? defaults.language() : language,
                context,
                vad,
                channels);
    }

    static double temperature(Context ctx, double fallback) {
        return param(ctx, "temperature", Double.class)
                .check(v -> v == null || (v >= 0 && v <= 2), "must be 0 (greedy) to 2")
                .getOrDefault(fallback);
    }

    /** A free text field of at most {@link TranscribeOptions#MAX_PROMPT_CHARS} characters. */
    static String text(Context ctx, String name, String fallback) {
        String prompt =
                param(ctx, name, String.class)
                        .check(
                                v -> v == null || v.length() <= TranscribeOptions.MAX_PROMPT_CHARS,
                                "must be at most "
                                        + TranscribeOptions.MAX_PROMPT_CHARS
                                        + " characters")
                        .getOrNull();
        return prompt == null || prompt.isBlank() ? fallback : prompt;
    }

    /** A boolean flag such as {@code no_cache}: absent is false. */
    static boolean flag(Context ctx, String name) {
        return param(ctx, name, Boolean.class).getOrDefault(false);
    }

    /** A text option, checked against the allowed values (lower-cased). */
    static String choice(Context ctx, String name, String fallback, java.util.Set<String> allowed) {
        String value =
                param(ctx, name, String.class)
                        .check(
                                v ->
                                        v == null
                                                || allowed.contains(
                                                        v.toLowerCase(java.util.Locale.ROOT)),
                                "must be one of "
                                        + String.join(", ", new java.util.TreeSet<>(allowed)))
                        .getOrNull();
        return value == null ? fallback : value.toLowerCase(java.util.Locale.ROOT);
    }

    static <T> Validator<T> param(Context ctx, String name, Class<T> type) {
        if (ctx.queryParam(name) != null || !ctx.isMultipartFormData()) {
            return ctx.queryParamAsClass(name, type);
        }
        return ctx.formParamAsClass(name, type);
    }
}
