package dev.omniscribe.models.generate;

import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.audio.MelFeatures;
import dev.omniscribe.models.text.Prompt;

/**
 * One sequence of a batch a {@link TokenGenerator} runs: its prompt, the log-mel features of its
 * audio, its options.
 */
public record GenerationRow(Prompt prompt, MelFeatures features, GenerationOptions options) {

    /**
     * New tokens this row may get: its options' maximum within a context of {@code maxPositions}.
     *
     * @throws IllegalArgumentException if the prompt leaves no room
     */
    int budget(int maxPositions) {
        int budget = Math.min(options.maxNewTokens(), maxPositions - prompt.length());
        if (budget < 1) {
            throw new IllegalArgumentException(
                    "prompt of "
                            + prompt.length()
                            + " tokens leaves no room in the context of "
                            + maxPositions);
        }
        return budget;
    }
}
