package dev.omniscribe.models.generate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.omniscribe.models.FinishReason;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.onnx.AudioEncoder;
import dev.omniscribe.models.onnx.Decoder;
import dev.omniscribe.models.onnx.Dtype;
import dev.omniscribe.models.onnx.OrtRuntime;
import dev.omniscribe.models.onnx.TokenEmbedder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Batched generation with the loop in Java ({@code DecodeLoop.STEPS}): one prefill over the
 * left-padded prompts (audio embeddings spliced in at the audio placeholder positions), then one
 * decoder step per new token with the KV cache, until every row has stopped.
 *
 * <p>Graph boundaries per step: {@code embed_tokens(ids)} → {@code decoder(embeds, mask, positions,
 * past)} → logits → repetition penalty → sampler → stop check. Only the last three run in Java;
 * {@link GraphLoopGenerator} runs the same steps inside one ONNX {@code Loop}.
 *
 * <p>Left padding: row {@code b} of length {@code len_b} starts at {@code L − len_b}; the attention
 * mask is 0 on its padding and positions count real tokens only ({@code cumsum(mask) − 1}, 1 on
 * padding, as transformers). A finished row keeps feeding the pad id; its outputs are ignored, so
 * each row's tokens do not depend on the others.
 *
 * <p>Thread-safe: all state of a call lives on its stack.
 */
public final class StepLoopGenerator implements TokenGenerator {

    private final OrtRuntime runtime;
    private final AudioEncoder encoder;
    private final TokenEmbedder embedder;
    private final Decoder decoder;
    private final ModelSpec.Tokens tokens;
    private final Dtype dtype;
    private final int hidden;
    private final int maxPositions;

    private final boolean stopAtEos;

    /**
     * @param stopAtEos false only for benchmarks: rows run to their token budget
     */
    public StepLoopGenerator(
            OrtRuntime runtime,
            AudioEncoder encoder,
            TokenEmbedder embedder,
            Decoder decoder,
            ModelSpec spec,
            boolean stopAtEos) {
        this.stopAtEos = stopAtEos;
        this.runtime = runtime;
        this.encoder = encoder;
        this.embedder = embedder;
        this.decoder = decoder;
        this.tokens = spec.tokens();
        this.dtype = Dtype.of(spec.dtype());
        this.hidden = spec.decoder().hiddenSize();
        this.maxPositions = spec.decoder().maxPositionEmbeddings();
    }

    @Override
    public int contextBudget(int promptLength) {
        return maxPositions - promptLength;
    }

    /**
     * Generates for all rows as one batch.
     *
     * @param rows prompts with their audio features and options; every prompt shorter than the
     *     model's context
     * @return one output per row, same order
     */
    @Override
    public List<GeneratedTokens> generate(List<GenerationRow> rows) throws OrtException {
        int batch = rows.size();
        if (batch == 0) {
            return List.of();
        }
        int vocab = decoder.vocabSize();

        // Per-row state: budget, penalty, sampler, generated ids, next position.
        int[] budget = new int[batch];
        int[] position = new int[batch];
        RepetitionPenalty[] penalty = new RepetitionPenalty[batch];
        Sampler[] sampler = new Sampler[batch];
        List<List<Integer>> generated = new ArrayList<>();
        FinishReason[] finished = new FinishReason[batch];
        for (int b = 0; b < batch; b++) {
            GenerationRow r = rows.get(b);
            budget[b] = r.budget(maxPositions);
            position[b] = r.prompt().length();
            penalty[b] =
                    new RepetitionPenalty(r.options().repetitionPenalty(), vocab, r.prompt().ids());
            sampler[b] = Sampler.of(r.options().temperature(), r.options().seed());
            generated.add(new ArrayList<>());
        }

        // 1. Audio encoder over all chunks of all rows; prefill: left-padded ids, mask, positions;
        // audio embeddings spliced into the text ones.
        List<AudioEncoder.Embeddings> audio =
                encoder.encode(rows.stream().map(GenerationRow::features).toList());
        PromptBatch prompts = new PromptBatch(rows, tokens.pad());
        long[] mask = prompts.mask;
        Decoder.Step step;
        try (OnnxTensor embeds = prompts.embeddings(runtime, embedder, dtype, hidden, audio)) {
            step = decoder.run(embeds, mask, prompts.positions, batch, prompts.longest, null);
        }

        // 2. Decode: choose tokens from the last logits, stop rows, feed the chosen ids back.
        try {
            long[] next = new long[batch]; // (batch, 1)
            long[] nextPositions = new long[batch]; // (batch, 1)
            while (true) {
                FloatBuffer logits = step.logits(); // (batch, vocab) float32
                boolean anyActive = false;
                for (int b = 0; b < batch; b++) {
                    if (finished[b] != null) {
                        next[b] = tokens.pad();
                        continue;
                    }
                    int offset = b * vocab;
                    penalty[b].apply(logits, offset);
                    int token = sampler[b].sample(logits, offset, vocab);
                    if (stopAtEos && tokens.isStop(token)) {
                        finished[b] = FinishReason.STOP_TOKEN;
                        next[b] = tokens.pad();
                        continue;
                    }
                    generated.get(b).add(token);
                    penalty[b].add(token);
                    if (generated.get(b).size() >= budget[b]) {
                        finished[b] = FinishReason.MAX_TOKENS;
                        next[b] = tokens.pad();
                        continue;
                    }
                    next[b] = token;
                    nextPositions[b] = position[b]++;
                    anyActive = true;
                }
                if (!anyActive) {
                    break;
                }
                int total = step.length() + 1;
                mask = grow(mask, batch, total - 1); // (batch, past + 1), new column all ones
                try (OrtSession.Result embedded = embedder.embed(next, batch, 1)) {
                    OnnxTensorLike embeds =
                            (OnnxTensorLike) embedded.get(embedder.outputName()).orElseThrow();
                    Decoder.Step nextStep =
                            decoder.run(embeds, mask, nextPositions.clone(), batch, 1, step);
                    step.close();
                    step = nextStep;
                }
            }
        } finally {
            step.close();
        }

        List<GeneratedTokens> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            int[] row = generated.get(b).stream().mapToInt(Integer::intValue).toArray();
            out.add(new GeneratedTokens(row, finished[b]));
        }
        return out;
    }

    /** Appends a column of ones to a row-major (batch, width) mask. */
    private static long[] grow(long[] mask, int batch, int width) {
        long[] out = new long[batch * (width + 1)];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(mask, b * width, out, b * (width + 1), width);
            out[b * (width + 1) + width] = 1;
        }
        return out;
    }
}
