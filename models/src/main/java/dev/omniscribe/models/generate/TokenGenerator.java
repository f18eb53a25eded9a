package dev.omniscribe.models.generate;

import ai.onnxruntime.OrtException;
import java.util.List;

/**
 * Generates the tokens of a batch of prompts: {@link StepLoopGenerator} ({@code DecodeLoop.STEPS}:
 * one decoder {@code run} per token, the loop in Java) or {@link GraphLoopGenerator} ({@code
 * DecodeLoop.GRAPH}: the whole loop inside one ONNX graph).
 */
public interface TokenGenerator {

    /**
     * Most new tokens a prompt of {@code promptLength} tokens may get under the model's context.
     */
    int contextBudget(int promptLength);

    /**
     * Generates for all rows as one batch.
     *
     * @param rows prompts with their audio features and options; every prompt shorter than the
     *     model's context
     * @return one output per row, same order
     */
    List<GeneratedTokens> generate(List<GenerationRow> rows) throws OrtException;
}
