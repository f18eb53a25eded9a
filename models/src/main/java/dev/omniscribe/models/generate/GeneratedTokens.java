package dev.omniscribe.models.generate;

import dev.omniscribe.models.FinishReason;

/**
 * What a {@link TokenGenerator} produced for one {@link GenerationRow}.
 *
 * @param ids generated token ids, the stop token excluded
 * @param reason why generation of the row ended
 */
public record GeneratedTokens(int[] ids, FinishReason reason) {}
