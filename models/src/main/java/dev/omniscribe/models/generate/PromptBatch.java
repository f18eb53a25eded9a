package dev.omniscribe.models.generate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.omniscribe.models.onnx.AudioEncoder;
import dev.omniscribe.models.onnx.Dtype;
import dev.omniscribe.models.onnx.OrtRuntime;
import dev.omniscribe.models.onnx.TokenEmbedder;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The prompts of one batch, left padded to the longest: ids, attention mask and positions, and
 * their embeddings with each row's audio spliced in at its placeholder positions.
 *
 * <p>Row {@code b} of length {@code len_b} starts at {@code longest − len_b}; the mask is 0 on its
 * padding and positions count real tokens only ({@code cumsum(mask) − 1}; 1 on padding, as
 * transformers).
 */
final class PromptBatch {

    final int batch;
    final int longest;
    final long[] ids; // (batch, longest)
    final long[] mask; // (batch, longest)
    final long[] positions; // (batch, longest)
    private final List<BatchGenerator.Row> rows;

    PromptBatch(List<BatchGenerator.Row> rows, int pad) {
        this.rows = rows;
        this.batch = rows.size();
        this.longest = rows.stream().mapToInt(r -> r.prompt().length()).max().orElseThrow();
        this.ids = new long[batch * longest];
        this.mask = new long[batch * longest];
        this.positions = new long[batch * longest];
        for (int b = 0; b < batch; b++) {
            int[] prompt = rows.get(b).prompt().ids();
            int padding = longest - prompt.length;
            for (int t = 0; t < longest; t++) {
                boolean real = t >= padding;
                ids[b * longest + t] = real ? prompt[t - padding] : pad;
                mask[b * longest + t] = real ? 1 : 0;
                positions[b * longest + t] = real ? t - padding : 1;
            }
        }
    }

    /**
     * Text embeddings {@code (batch, longest, hidden)} with each row's audio placeholder positions
     * replaced by its audio embeddings, as a new tensor (the caller closes it).
     */
    OnnxTensor embeddings(OrtRuntime runtime, TokenEmbedder embedder, Dtype dtype, int hidden)
            throws OrtException {
        try (OrtSession.Result textEmbeds = embedder.embed(ids, batch, longest)) {
            OnnxTensor text = (OnnxTensor) textEmbeds.get(embedder.outputName()).orElseThrow();
            int rowBytes = hidden * dtype.bytes();
            ByteBuffer merged = dtype.allocate((long) batch * longest * hidden);
            merged.put(text.getByteBuffer());
            for (int b = 0; b < batch; b++) {
                BatchGenerator.Row r = rows.get(b);
                AudioEncoder.Embeddings audio = audioOf(b);
                int padding = longest - r.prompt().length();
                int at = (b * longest + padding + r.prompt().audioStart()) * rowBytes;
                ByteBuffer src = audio.data().duplicate();
                src.clear();
                ByteBuffer dst = merged.duplicate();
                dst.position(at);
                dst.put(src);
            }
            merged.clear();
            return dtype.tensor(runtime.env(), merged, batch, longest, hidden);
        }
    }

    /**
     * Each row's audio embeddings {@code (batch, audio, hidden)}, zero padded at the end to the
     * longest row's (at least one token), as a new tensor (the caller closes it): what {@code
     * generate.onnx} splices in at the rows' audio placeholder ids.
     */
    OnnxTensor audioEmbeddings(OrtRuntime runtime, Dtype dtype, int hidden) throws OrtException {
        int most = 1;
        for (int b = 0; b < batch; b++) {
            most = Math.max(most, audioOf(b).tokens());
        }
        int rowBytes = hidden * dtype.bytes();
        ByteBuffer all = dtype.allocate((long) batch * most * hidden); // zeros
        for (int b = 0; b < batch; b++) {
            ByteBuffer src = audioOf(b).data().duplicate();
            src.clear();
            ByteBuffer dst = all.duplicate();
            dst.position(Math.toIntExact((long) b * most * rowBytes));
            dst.put(src);
        }
        return dtype.tensor(runtime.env(), all, batch, most, hidden);
    }

    /** Row {@code b}'s audio embeddings, checked against its prompt's audio placeholders. */
    private AudioEncoder.Embeddings audioOf(int b) {
        BatchGenerator.Row r = rows.get(b);
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
        return audio;
    }
}
