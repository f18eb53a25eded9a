package dev.omniscribe.models.generate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.omniscribe.models.onnx.AudioChunks;
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
    private final List<GenerationRow> rows;

    PromptBatch(List<GenerationRow> rows, int pad) {
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
    OnnxTensor embeddings(
            OrtRuntime runtime,
            TokenEmbedder embedder,
            Dtype dtype,
            int hidden,
            List<AudioEncoder.Embeddings> audioEmbeddings)
            throws OrtException {
        try (OrtSession.Result textEmbeds = embedder.embed(ids, batch, longest)) {
            OnnxTensor text = (OnnxTensor) textEmbeds.get(embedder.outputName()).orElseThrow();
            int rowBytes = hidden * dtype.bytes();
            ByteBuffer merged = dtype.allocate((long) batch * longest * hidden);
            merged.put(text.getByteBuffer());
            for (int b = 0; b < batch; b++) {
                GenerationRow r = rows.get(b);
                AudioEncoder.Embeddings audio = audioEmbeddings.get(b);
                checkAudio(b, audio.tokens());
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
     * Where each row's audio placeholders take their embeddings from: {@code (batch, audio)}
     * row-major indices into the audio encoder's output over {@code chunks} (row {@code b} is
     * segment {@code b}), padded with 0 to the longest row's (at least one).
     */
    long[] audioIndex(AudioChunks chunks) {
        long[][] perRow = new long[batch][];
        int most = 1;
        for (int b = 0; b < batch; b++) {
            perRow[b] = chunks.tokenIndex(b);
            checkAudio(b, perRow[b].length);
            most = Math.max(most, perRow[b].length);
        }
        long[] index = new long[batch * most];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(perRow[b], 0, index, b * most, perRow[b].length);
        }
        return index;
    }

    private void checkAudio(int b, int audioTokens) {
        if (audioTokens != rows.get(b).prompt().audioTokens()) {
            throw new IllegalArgumentException(
                    "row "
                            + b
                            + ": "
                            + audioTokens
                            + " audio embeddings for "
                            + rows.get(b).prompt().audioTokens()
                            + " audio tokens");
        }
    }
}
