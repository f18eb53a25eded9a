package dev.omniscribe.models.generate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.omniscribe.models.FinishReason;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.onnx.AudioChunks;
import dev.omniscribe.models.onnx.GenerationLoop;
import dev.omniscribe.models.onnx.OrtRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

/**
 * Batched generation with the loop inside the graph ({@code DecodeLoop.GRAPH}): one {@code
 * generate.onnx} run takes every row's mel chunks and left-padded prompt ids (the graph runs the
 * audio encoder, embeds the prompt and splices the audio in) and returns every row's tokens,
 * whatever the number of generated tokens.
 *
 * <p>Same semantics as {@link StepLoopGenerator}: transformers' repetition penalty over prompt and
 * generated ids, argmax at temperature 0 (identical ids), a row stops at a stop id or its budget.
 * Sampling draws one uniform number per row and step from {@code SplittableRandom(seed)} and picks
 * the first id whose cumulative probability exceeds it: the same seed gives the same tokens, the
 * same as {@link StepLoopGenerator}'s sampler draws.
 *
 * <p>Thread-safe: all state of a call lives on its stack.
 */
public final class GraphLoopGenerator implements TokenGenerator {

    private static final long NO_STOP_ID = -1;

    private final OrtRuntime runtime;
    private final GenerationLoop loop;
    private final ModelSpec.Tokens tokens;
    private final ModelSpec spec;
    private final int maxPositions;
    private final boolean stopAtEos;

    /**
     * @param stopAtEos false only for benchmarks: rows run to their token budget
     */
    public GraphLoopGenerator(
            OrtRuntime runtime, GenerationLoop loop, ModelSpec spec, boolean stopAtEos) {
        this.runtime = runtime;
        this.loop = loop;
        this.tokens = spec.tokens();
        this.spec = spec;
        this.maxPositions = spec.decoder().maxPositionEmbeddings();
        this.stopAtEos = stopAtEos;
    }

    @Override
    public int contextBudget(int promptLength) {
        return maxPositions - promptLength;
    }

    @Override
    public List<GeneratedTokens> generate(List<GenerationRow> rows) throws OrtException {
        int batch = rows.size();
        if (batch == 0) {
            return List.of();
        }
        // 1. Per row: budget, temperature, penalty.
        long[] budget = new long[batch];
        float[] temperature = new float[batch];
        float[] penalty = new float[batch];
        for (int b = 0; b < batch; b++) {
            GenerationRow r = rows.get(b);
            GenerationOptions o = r.options();
            budget[b] = r.budget(maxPositions);
            temperature[b] = (float) o.temperature();
            penalty[b] = (float) o.repetitionPenalty();
        }
        int steps = (int) Arrays.stream(budget).max().orElseThrow();

        // 2. One uniform draw per row and step (zeros for greedy rows).
        float[] uniform = new float[batch * steps]; // (batch, steps)
        for (int b = 0; b < batch; b++) {
            if (temperature[b] > 0) {
                SplittableRandom random = new SplittableRandom(rows.get(b).options().seed());
                for (int t = 0; t < steps; t++) {
                    uniform[b * steps + t] = Sampler.uniform(random);
                }
            }
        }

        // 3. Stop ids: the folder's (im_end always among them), or none for benchmarks.
        long[] stop;
        if (stopAtEos) {
            stop =
                    LongStream.concat(
                                    LongStream.of(tokens.imEnd()),
                                    Arrays.stream(tokens.eos()).asLongStream())
                            .distinct()
                            .toArray();
        } else {
            stop = new long[] {NO_STOP_ID};
        }

        // 4. The whole generation in one run: mel chunks and prompt ids in, token ids out.
        PromptBatch prompts = new PromptBatch(rows, tokens.pad());
        AudioChunks chunks =
                new AudioChunks(rows.stream().map(GenerationRow::features).toList(), spec);
        long[][] out;
        try (OnnxTensor features = chunks.features(runtime.env(), 0, chunks.size());
                OnnxTensor lens = chunks.lens(runtime.env(), 0, chunks.size())) {
            out =
                    loop.run(
                            features,
                            lens,
                            prompts.audioIndex(chunks),
                            prompts.ids,
                            prompts.mask,
                            prompts.positions,
                            budget,
                            temperature,
                            penalty,
                            stop,
                            uniform);
        }

        // 5. Each row's ids up to its stop id (excluded) or its budget.
        List<GeneratedTokens> result = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            List<Integer> ids = new ArrayList<>();
            FinishReason reason = null;
            for (int t = 0; t < out[b].length && reason == null; t++) {
                int id = Math.toIntExact(out[b][t]);
                if (stopAtEos && tokens.isStop(id)) {
                    reason = FinishReason.STOP_TOKEN;
                } else {
                    ids.add(id);
                    if (ids.size() >= budget[b]) {
                        reason = FinishReason.MAX_TOKENS;
                    }
                }
            }
            if (reason == null) {
                throw new IllegalStateException(
                        "generation graph returned "
                                + out[b].length
                                + " steps for row "
                                + b
                                + " without a stop id or its budget of "
                                + budget[b]);
            }
            result.add(
                    new GeneratedTokens(
                            ids.stream().mapToInt(Integer::intValue).toArray(), reason));
        }
        return result;
    }
}
