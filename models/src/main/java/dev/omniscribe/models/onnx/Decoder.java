package dev.omniscribe.models.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.omniscribe.models.ModelSpec;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * One decoder step with a KV cache: prefill (seq = prompt length, empty past) or decode (seq = 1).
 *
 * <p>The present key/values of one step are the next step's past: {@link Step} keeps the step's
 * {@link OrtSession.Result} open so they go back into ONNX Runtime without a copy through Java.
 *
 * <p>Thread-safe: the session is only read; each step's state is owned by its caller.
 */
public final class Decoder implements AutoCloseable {

    private static final String INPUTS_EMBEDS = "inputs_embeds"; // (batch, seq, hidden)
    private static final String ATTENTION_MASK = "attention_mask"; // (batch, past + seq) int64
    private static final String POSITION_IDS = "position_ids"; // (batch, seq) int64
    private static final String LOGITS = "logits"; // (batch, 1, vocab) float32
    // (batch, kv_heads, past, head_dim) in, (batch, kv_heads, past + seq, head_dim) out
    private static final String PAST_KEY = "past_key_values.%d.key";
    private static final String PAST_VALUE = "past_key_values.%d.value";
    private static final String PRESENT_KEY = "present.%d.key";
    private static final String PRESENT_VALUE = "present.%d.value";

    private final OrtRuntime runtime;
    private final OrtSession session;
    private final Dtype dtype;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int vocab;
    private final String inputsEmbeds;
    private final String attentionMask;
    private final String positionIds;
    private final String logits;
    private final String[] pastNames; // key0, value0, key1, value1, ...
    private final String[] presentNames; // same order

    public Decoder(OrtRuntime runtime, ModelSpec spec) throws OrtException {
        ModelSpec.Graph g = spec.graph(ModelSpec.DECODER);
        ModelSpec.DecoderSizes d = spec.decoder();
        this.inputsEmbeds = g.input(INPUTS_EMBEDS);
        this.attentionMask = g.input(ATTENTION_MASK);
        this.positionIds = g.input(POSITION_IDS);
        this.logits = g.output(LOGITS);
        this.layers = d.numLayers();
        this.kvHeads = d.numKvHeads();
        this.headDim = d.headDim();
        this.vocab = d.vocabSize();
        this.pastNames = new String[2 * layers];
        this.presentNames = new String[2 * layers];
        for (int i = 0; i < layers; i++) {
            pastNames[2 * i] = g.input(String.format(PAST_KEY, i));
            pastNames[2 * i + 1] = g.input(String.format(PAST_VALUE, i));
            presentNames[2 * i] = g.output(String.format(PRESENT_KEY, i));
            presentNames[2 * i + 1] = g.output(String.format(PRESENT_VALUE, i));
        }
        this.runtime = runtime;
        this.dtype = Dtype.of(spec.dtype());
        this.session = runtime.open(spec.dir().resolve(g.file()));
    }

    public int vocabSize() {
        return vocab;
    }

    /**
     * Runs one step.
     *
     * @param embeds {@code (batch, seq, hidden)} in the model dtype
     * @param mask row-major {@code (batch, past + seq)}, 1 = real token, 0 = left padding
     * @param positions row-major {@code (batch, seq)}
     * @param past the previous step (its presents become this step's past), or null for prefill
     * @return the step; the caller closes it once the next step has run
     */
    public Step run(
            OnnxTensorLike embeds, long[] mask, long[] positions, int batch, int seq, Step past)
            throws OrtException {
        int total = mask.length / batch;
        int pastLen = total - seq;
        if (past != null && past.length != pastLen) {
            throw new IllegalArgumentException(
                    "mask covers " + total + " positions but the cache holds " + past.length);
        }
        Map<String, OnnxTensorLike> inputs = new HashMap<>();
        OnnxTensor[] empty = new OnnxTensor[pastNames.length];
        try (OnnxTensor maskT =
                        OnnxTensor.createTensor(
                                runtime.env(), LongBuffer.wrap(mask), new long[] {batch, total});
                OnnxTensor posT =
                        OnnxTensor.createTensor(
                                runtime.env(),
                                LongBuffer.wrap(positions),
                                new long[] {batch, seq})) {
            inputs.put(inputsEmbeds, embeds);
            inputs.put(attentionMask, maskT);
            inputs.put(positionIds, posT);
            for (int i = 0; i < pastNames.length; i++) {
                if (past == null) {
                    // Prefill: empty cache (batch, kv_heads, 0, head_dim).
                    empty[i] =
                            dtype.tensor(
                                    runtime.env(), dtype.allocate(0), batch, kvHeads, 0, headDim);
                    inputs.put(pastNames[i], empty[i]);
                } else {
                    inputs.put(pastNames[i], past.present(i));
                }
            }
            OrtSession.Result result = session.run(inputs);
            return new Step(result, total);
        } finally {
            for (OnnxTensor t : empty) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the decoder session", e);
        }
    }

    /** The outputs of one decoder step: last-position logits and the KV cache. */
    public final class Step implements AutoCloseable {
        private final OrtSession.Result result;
        private final int length;

        private Step(OrtSession.Result result, int length) {
            this.result = result;
            this.length = length;
        }

        /** Positions held in the cache after this step (past + seq). */
        public int length() {
            return length;
        }

        /** Logits of the last position: row-major {@code (batch, vocab)}, float32. */
        public FloatBuffer logits() {
            return ((OnnxTensor) result.get(logits).orElseThrow()).getFloatBuffer();
        }

        OnnxTensorLike present(int i) {
            return (OnnxTensorLike) result.get(presentNames[i]).orElseThrow();
        }

        @Override
        public void close() {
            result.close();
        }
    }
}
