package dev.omniscribe.models;

/**
 * The engine's answer for one segment.
 *
 * @param text decoded text of the generated tokens, special tokens removed (no post-processing)
 * @param tokenIds generated token ids, without the stop token
 * @param finishReason why generation ended
 * @param promptTokens number of tokens in the prompt, audio placeholders expanded
 * @param error a message for {@link FinishReason#ERROR}, else null
 */
public record Transcription(
        String text, int[] tokenIds, FinishReason finishReason, int promptTokens, String error) {

    public static Transcription failed(String error) {
        return new Transcription("", new int[0], FinishReason.ERROR, 0, error);
    }

    public boolean failed() {
        return finishReason == FinishReason.ERROR;
    }
}
