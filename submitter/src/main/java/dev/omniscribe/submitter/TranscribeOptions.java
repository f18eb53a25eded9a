package dev.omniscribe.submitter;

import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.udfs.SegmentationSettings;
import java.util.Locale;

/**
 * The options that change a transcript. Two requests with the same audio and equal options get the
 * same result, which is what the result cache relies on.
 *
 * @param segmentDurationS target segment length in seconds (the model truncates above 300 s)
 * @param maxNewTokens upper bound on generated tokens per segment
 * @param temperature 0 for greedy decoding, else the sampling temperature
 * @param repetitionPenalty transformers-style repetition penalty; 1 disables it
 * @param s2t convert Simplified to Traditional Chinese (OpenCC s2t)
 * @param prompt the whole instruction given to the model instead of the model folder's (and its
 *     language wording); null for the folder's
 * @param language ISO 639-1 code of the spoken language, named in the model's instruction; null
 *     when not given (the transcript reports the language detected)
 * @param context context for the transcription (earlier text, names, spelling), given to the model
 *     before its instruction; null for none
 * @param vad whether segments follow detected speech (Silero VAD)
 * @param channels whether channels are mixed or transcribed apart
 */
public record TranscribeOptions(
        int segmentDurationS,
        int maxNewTokens,
        double temperature,
        double repetitionPenalty,
        boolean s2t,
        String prompt,
        String language,
        String context,
        boolean vad,
        SegmentationSettings.Channels channels) {

    /** Options without language or context, with the default speech detection and channels. */
    public TranscribeOptions(
            int segmentDurationS,
            int maxNewTokens,
            double temperature,
            double repetitionPenalty,
            boolean s2t,
            String prompt) {
        this(
                segmentDurationS,
                maxNewTokens,
                temperature,
                repetitionPenalty,
                s2t,
                prompt,
                null,
                null,
                SegmentationSettings.DEFAULT.speechDetection(),
                SegmentationSettings.DEFAULT.channels());
    }

    /** Longest segment the model accepts, in seconds. */
    public static final int MAX_SEGMENT_DURATION_S =
            (int) (SegmentationSettings.MAX_TARGET_MS / 1000);

    /** Longest accepted prompt, in characters. */
    public static final int MAX_PROMPT_CHARS = 2000;

    /** The old service's generation defaults with 30-second segments. */
    public static final TranscribeOptions DEFAULTS =
            new TranscribeOptions(
                    SegmentationSettings.DEFAULT_SECONDS,
                    GenerationOptions.DEFAULT_MAX_NEW_TOKENS,
                    GenerationOptions.DEFAULT_TEMPERATURE,
                    GenerationOptions.DEFAULT_REPETITION_PENALTY,
                    false,
                    null);

    public TranscribeOptions {
        java.util.Objects.requireNonNull(channels, "channels");
        if (segmentDurationS < 1 || segmentDurationS > MAX_SEGMENT_DURATION_S) {
            throw new IllegalArgumentException(
                    "segment duration must be 1.."
                            + MAX_SEGMENT_DURATION_S
                            + " seconds (the model truncates longer audio), got "
                            + segmentDurationS);
        }
        if (prompt != null && prompt.isBlank()) {
            prompt = null;
        }
        if (prompt != null && prompt.length() > MAX_PROMPT_CHARS) {
            throw new IllegalArgumentException(
                    "prompt must be at most " + MAX_PROMPT_CHARS + " characters");
        }
        if (context != null && context.isBlank()) {
            context = null;
        }
        if (context != null && context.length() > MAX_PROMPT_CHARS) {
            throw new IllegalArgumentException(
                    "context must be at most " + MAX_PROMPT_CHARS + " characters");
        }
        // The engine's own limits and messages; the language in lower case.
        language =
                new GenerationOptions(
                                maxNewTokens,
                                temperature,
                                repetitionPenalty,
                                0L,
                                null,
                                null,
                                language,
                                null)
                        .language();
    }

    /** These options as the engine's, with the model folder's system prompt. */
    public GenerationOptions generation() {
        return new GenerationOptions(
                maxNewTokens, temperature, repetitionPenalty, 0L, null, prompt, language, context);
    }

    /** The same options for the spoken language {@code code}, or null for none. */
    public TranscribeOptions withLanguage(String code) {
        return new TranscribeOptions(
                segmentDurationS,
                maxNewTokens,
                temperature,
                repetitionPenalty,
                s2t,
                prompt,
                code,
                context,
                vad,
                channels);
    }

    /** How the audio is cut, for the job. */
    public SegmentationSettings segmentation() {
        return SegmentationSettings.of(segmentDurationS, vad, channels);
    }

    /** A stable text form of every option, for cache keys and job records. */
    public String canonical() {
        return String.format(
                Locale.ROOT,
                "segment_duration=%d;vad=%b;channels=%s;max_new_tokens=%d;temperature=%s;repetition_penalty=%s;s2t=%b;prompt=%s;language=%s;context=%s",
                segmentDurationS,
                vad,
                channels.label(),
                maxNewTokens,
                Double.toString(temperature),
                Double.toString(repetitionPenalty),
                s2t,
                prompt == null ? "" : prompt,
                language == null ? "" : language,
                context == null ? "" : context);
    }
}
