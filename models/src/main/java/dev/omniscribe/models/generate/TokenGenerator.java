package dev.omniscribe.models.generate;

import ai.onnxruntime.OrtException;
import java.util.List;

/**
 * Generates the tokens of a batch of prompts: {@link BatchGenerator} (one decoder {@code run} per
 * token, the loop in Java) or {@link LoopGenerator} (the whole loop inside one ONNX graph).
 */
public interface TokenGenerator {

    /**
     * Most new tokens a prompt of {@code promptLength} tokens may get under the model's context.
     */
    int contextBudget(int promptLength);

    /**
     * Generates for all rows as one batch.
     *
     * @param rows prompts with their audio embeddings and options; every prompt shorter than the
     *     model's context
     * @return one output per row, same order
     */
    List<BatchGenerator.Output> generate(List<BatchGenerator.Row> rows) throws OrtException;
}
