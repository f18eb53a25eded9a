package dev.omniscribe.models.generate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.omniscribe.models.FinishReason;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.onnx.AudioEncoder;
import dev.omniscribe.models.onnx.Decoder;
import dev.omniscribe.models.onnx.Dtype;
import dev.omniscribe.models.onnx.OrtRuntime;
import dev.omniscribe.models.onnx.TokenEmbedder;
import dev.omniscribe.models.text.Prompt;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Batched generation: one prefill over the left-padded prompts (audio embeddings spliced in at the
 * audio placeholder positions), then one decoder step per new token with the KV cache, until every
 * row has stopped.
 *
 * <p>Graph boundaries per step: {@code embed_tokens(ids)} → {@code decoder(embeds, mask, positions,
 * past)} → logits → repetition penalty → sampler → stop check. Only the last three run in Java, so
 * the loop can move into an ONNX {@code Loop} without changing the graphs' contract.
 *
 * <p>Left padding: row {@code b} of length {@code len_b} starts at {@code L − len_b}; the attention
 * mask is 0 on its padding and positions count real tokens only ({@code cumsum(mask) − 1}, 1 on
 * padding, as transformers). A finished row keeps feeding the pad id; its outputs are ignored, so
 * each row's tokens do not depend on the others.
 *
 * <p>Thread-safe: all state of a call lives on its stack.
 */
public final class BatchGenerator {

    private final OrtRuntime runtime;
    private final TokenEmbedder embedder;
    private final Decoder decoder;
    private final ModelSpec.Tokens tokens;
    private final Dtype dtype;
    private final int hidden;
    private final int maxPositions;

    public BatchGenerator(
            OrtRuntime runtime, TokenEmbedder embedder, Decoder decoder, ModelSpec spec) {
        this.runtime = runtime;
        this.embedder = embedder;
        this.decoder = decoder;
        this.tokens = spec.tokens();
        this.dtype = Dtype.of(spec.dtype());
        this.hidden = spec.decoder().hiddenSize();
        this.maxPositions = spec.decoder().maxPositionEmbeddings();
    }

    /** One sequence to generate. */
    public record Row(Prompt prompt, AudioEncoder.Embeddings audio, GenerationOptions options) {}

    /** Generated ids (stop token excluded) and why generation ended. */
    public record Output(int[] ids, FinishReason reason) {}

    /**
     * Most new tokens a prompt of {@code promptLength} tokens may get under the model's context.
     */
    public int contextBudget(int promptLength) {
        return maxPositions - promptLength;
    }

    /**
     * Generates for all rows as one batch.
     *
     * @param rows prompts with their audio embeddings and options; every prompt shorter than the
     *     model's context
     * @return one output per row, same order
     */
    public List<Output> generate(List<Row> rows) throws OrtException {
        int batch = rows.size();
        if (batch == 0) {
            return List.of();
        }
        int vocab = decoder.vocabSize();
        int longest = rows.stream().mapToInt(r -> r.prompt().length()).max().orElseThrow();

        // Per-row state: budget, penalty, sampler, generated ids, next position.
        int[] budget = new int[batch];
        int[] position = new int[batch];
        RepetitionPenalty[] penalty = new RepetitionPenalty[batch];
        Sampler[] sampler = new Sampler[batch];
        List<List<Integer>> generated = new ArrayList<>();
        FinishReason[] finished = new FinishReason[batch];
        for (int b = 0; b < batch; b++) {
            Row r = rows.get(b);
            budget[b] = Math.min(r.options().maxNewTokens(), contextBudget(r.prompt().length()));
            if (budget[b] < 1) {
                throw new IllegalArgumentException(
                        "prompt of "
                                + r.prompt().length()
                                + " tokens leaves no room in the context of "
                                + maxPositions);
            }
            position[b] = r.prompt().length();
            penalty[b] =
                    new RepetitionPenalty(r.options().repetitionPenalty(), vocab, r.prompt().ids());
            sampler[b] = Sampler.of(r.options().temperature(), r.options().seed());
            generated.add(new ArrayList<>());
        }

        // 1. Prefill: left-padded ids, mask, positions; audio embeddings spliced into the text
        // ones.
        long[] ids = new long[batch * longest]; // (batch, L)
        long[] mask = new long[batch * longest]; // (batch, L)
        long[] positions = new long[batch * longest]; // (batch, L)
        for (int b = 0; b < batch; b++) {
            int[] prompt = rows.get(b).prompt().ids();
            int pad = longest - prompt.length;
            for (int t = 0; t < longest; t++) {
                boolean real = t >= pad;
                ids[b * longest + t] = real ? prompt[t - pad] : tokens.pad();
                mask[b * longest + t] = real ? 1 : 0;
                positions[b * longest + t] = real ? t - pad : 1;
            }
        }
        Decoder.Step step;
        try (OrtSession.Result textEmbeds = embedder.embed(ids, batch, longest);
                OnnxTensor embeds = spliceAudio(textEmbeds, rows, longest)) {
            step = decoder.run(embeds, mask, positions, batch, longest, null);
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
                    if (tokens.isStop(token)) {
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

        List<Output> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            int[] row = generated.get(b).stream().mapToInt(Integer::intValue).toArray();
            out.add(new Output(row, finished[b]));
        }
        return out;
    }

    /**
     * Text embeddings {@code (batch, L, hidden)} with each row's audio placeholder positions
     * replaced by its audio embeddings, as a new tensor (the caller closes it).
     */
    private OnnxTensor spliceAudio(OrtSession.Result textEmbeds, List<Row> rows, int longest)
            throws OrtException {
        OnnxTensor text = (OnnxTensor) textEmbeds.get(embedder.outputName()).orElseThrow();
        int batch = rows.size();
        int rowBytes = hidden * dtype.bytes();
        ByteBuffer merged = dtype.allocate((long) batch * longest * hidden); // (batch, L, hidden)
        merged.put(text.getByteBuffer());
        for (int b = 0; b < batch; b++) {
            Row r = rows.get(b);
            AudioEncoder.Embeddings audio = r.audio();
            if (audio.tokens() != r.prompt().audioTokens()) {
                throw new IllegalArgumentException(
                        "row "
                                + b
                                + ": "
                                + audio.tokens()
                                + " audio embeddings for "
                                + r.prompt().audioTokens()
                                + " audio tokens");
            }
            int pad = longest - r.prompt().length();
            int at = (b * longest + pad + r.prompt().audioStart()) * rowBytes;
            ByteBuffer src = audio.data().duplicate();
            src.clear();
            ByteBuffer dst = merged.duplicate();
            dst.position(at);
            dst.put(src);
        }
        merged.clear();
        return dtype.tensor(runtime.env(), merged, batch, longest, hidden);
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
