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
 * {@code generate.onnx}: prefill and the whole token loop (ONNX {@code Loop} around the decoder
 * step, repetition penalty, temperature sampling or argmax, stop ids) in one {@code run}, so the KV
 * cache never leaves ONNX Runtime and the number of calls per batch does not grow with the number
 * of generated tokens.
 *
 * <p>Thread-safe: the session is only read.
 */
public final class GenerationLoop implements AutoCloseable {

    private static final String INPUT_FEATURES = "input_features"; // (chunks, n_mels, frames) F
    private static final String FEATURE_LENS = "feature_lens"; // (chunks) int64
    private static final String AUDIO_INDEX = "audio_index"; // (batch, audio) int64
    private static final String ATTENTION_MASK = "attention_mask"; // (batch, seq) int64
    private static final String POSITION_IDS = "position_ids"; // (batch, seq) int64
    private static final String INPUT_IDS = "input_ids"; // (batch, seq) int64
    private static final String MAX_NEW_TOKENS = "max_new_tokens"; // (batch) int64
    private static final String TEMPERATURE = "temperature"; // (batch) float32
    private static final String REPETITION_PENALTY = "repetition_penalty"; // (batch) float32
    private static final String EOS_IDS = "eos_ids"; // (n) int64
    private static final String UNIFORM = "uniform"; // (batch, steps) float32 in [0, 1)
    private static final String TOKENS = "tokens"; // (batch, steps') int64 out

    private final OrtRuntime runtime;
    private final OrtSession session;
    private final String inputFeatures;
    private final String featureLens;
    private final String audioIndex;
    private final String attentionMask;
    private final String positionIds;
    private final String inputIds;
    private final String maxNewTokens;
    private final String temperature;
    private final String repetitionPenalty;
    private final String eosIds;
    private final String uniform;
    private final String tokens;

    public GenerationLoop(OrtRuntime runtime, ModelSpec spec) throws OrtException {
        ModelSpec.Graph g = spec.graph(ModelSpec.GENERATE);
        this.inputFeatures = g.input(INPUT_FEATURES);
        this.featureLens = g.input(FEATURE_LENS);
        this.audioIndex = g.input(AUDIO_INDEX);
        this.attentionMask = g.input(ATTENTION_MASK);
        this.positionIds = g.input(POSITION_IDS);
        this.inputIds = g.input(INPUT_IDS);
        this.maxNewTokens = g.input(MAX_NEW_TOKENS);
        this.temperature = g.input(TEMPERATURE);
        this.repetitionPenalty = g.input(REPETITION_PENALTY);
        this.eosIds = g.input(EOS_IDS);
        this.uniform = g.input(UNIFORM);
        this.tokens = g.output(TOKENS);
        this.runtime = runtime;
        this.session = runtime.open(spec.dir().resolve(g.file()));
    }

    /**
     * Generates for a left-padded batch in one call.
     *
     * @param features {@code (chunks, n_mels, chunk_frames)} mel chunks of all rows, model dtype
     * @param lens {@code (chunks)} valid frames per chunk
     * @param audio row-major {@code (batch, audio)}: row {@code b}'s {@code j}-th audio placeholder
     *     takes the audio encoder's output row {@code audio[b, j]} of {@code (chunks *
     *     tokens_per_chunk)}
     * @param ids, mask, positions row-major {@code (batch, seq)}, left padded
     * @param budgets per row, at least 1
     * @param temperatures per row, 0 = argmax
     * @param penalties per row, 1 = none
     * @param stopIds ids that end a row (may be a single id no token has, to never stop)
     * @param uniforms row-major {@code (batch, steps)} draws in [0, 1), steps ≥ max budget
     * @return row-major {@code (batch, steps')} ids, steps' ≤ max budget; a row ends with its stop
     *     id, then pad
     */
    public long[][] run(
            OnnxTensorLike features,
            OnnxTensorLike lens,
            long[] audio,
            long[] ids,
            long[] mask,
            long[] positions,
            long[] budgets,
            float[] temperatures,
            float[] penalties,
            long[] stopIds,
            float[] uniforms)
            throws OrtException {
        int batch = budgets.length;
        int seq = ids.length / batch;
        long[] bs = {batch, seq};
        Map<String, OnnxTensorLike> in = new HashMap<>();
        try (OnnxTensor idsT = longs(ids, bs);
                OnnxTensor maskT = longs(mask, bs);
                OnnxTensor posT = longs(positions, bs);
                OnnxTensor budgetT = longs(budgets, batch);
                OnnxTensor tempT = floats(temperatures, batch);
                OnnxTensor penT = floats(penalties, batch);
                OnnxTensor eosT = longs(stopIds, stopIds.length);
                OnnxTensor uniT = floats(uniforms, batch, uniforms.length / batch);
                OnnxTensor audioT = longs(audio, batch, audio.length / batch)) {
            in.put(inputFeatures, features);
            in.put(featureLens, lens);
            in.put(audioIndex, audioT);
            in.put(inputIds, idsT);
            in.put(attentionMask, maskT);
            in.put(positionIds, posT);
            in.put(maxNewTokens, budgetT);
            in.put(temperature, tempT);
            in.put(repetitionPenalty, penT);
            in.put(eosIds, eosT);
            in.put(uniform, uniT);
            try (OrtSession.Result r = session.run(in)) {
                return (long[][]) r.get(tokens).orElseThrow().getValue();
            }
        }
    }

    private OnnxTensor longs(long[] v, long... shape) throws OrtException {
        return OnnxTensor.createTensor(runtime.env(), LongBuffer.wrap(v), shape);
    }

    private OnnxTensor floats(float[] v, long... shape) throws OrtException {
        return OnnxTensor.createTensor(runtime.env(), FloatBuffer.wrap(v), shape);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the generation loop session", e);
        }
    }
}
