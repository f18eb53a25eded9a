package dev.omniscribe.models.text;

import java.util.Objects;

/**
 * A tokenized prompt.
 *
 * @param text rendered chat text with one {@code <|AUDIO|>} placeholder
 * @param ids token ids with the placeholder expanded to {@code audioTokens} audio ids
 * @param audioStart index in {@code ids} of the first audio id
 * @param audioTokens number of audio ids (audio embeddings that replace them)
 */
public record Prompt(String text, int[] ids, int audioStart, int audioTokens) {

    public Prompt {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(ids, "ids");
        if (audioStart < 0 || audioTokens < 0 || audioStart + audioTokens > ids.length) {
            throw new IllegalArgumentException(
                    "audio span " + audioStart + "+" + audioTokens + " outside " + ids.length);
        }
    }

    public int length() {
        return ids.length;
    }
}
