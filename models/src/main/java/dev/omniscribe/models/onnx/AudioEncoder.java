package dev.omniscribe.models.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.audio.MelFeatures;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The audio tower: log-mel features of whole segments → audio embeddings (one per audio token).
 *
 * <p>The graph works on 2-second chunks that are independent (attention stays inside a chunk), so
 * every segment is cut into chunks of {@code chunk_frames} mel frames, the chunks of all segments
 * run as rows of one batch (at most {@link #MAX_CHUNKS_PER_RUN} per call), and the valid tokens of
 * each chunk are concatenated in order.
 *
 * <p>Thread-safe: the session is only read; state lives on the stack.
 */
public final class AudioEncoder implements AutoCloseable {

    /**
     * Chunks per {@code run}: 512 chunks = 1024 s of audio (a batch of 32 segments of 30 s in one
     * run), ~52 MB of float32 features.
     */
    public static final int MAX_CHUNKS_PER_RUN = 512;

    // Graph names (MODEL_FORMAT.md).
    private static final String INPUT_FEATURES = "input_features"; // (chunks, n_mels, chunk_frames)
    private static final String FEATURE_LENS = "feature_lens"; // (chunks) int64, 1..chunk_frames
    private static final String AUDIO_EMBEDS = "audio_embeds"; // (chunks, tokens_per_chunk, hidden)

    private final OrtRuntime runtime;
    private final OrtSession session;
    private final Dtype dtype;
    private final ModelSpec spec;
    private final int tokensPerChunk;
    private final int hidden;
    private final String inputFeatures;
    private final String featureLens;
    private final String audioEmbeds;

    public AudioEncoder(OrtRuntime runtime, ModelSpec spec) throws OrtException {
        ModelSpec.Graph g = spec.graph(ModelSpec.AUDIO_ENCODER);
        this.inputFeatures = g.input(INPUT_FEATURES);
        this.featureLens = g.input(FEATURE_LENS);
        this.audioEmbeds = g.output(AUDIO_EMBEDS);
        this.runtime = runtime;
        this.dtype = Dtype.of(spec.dtype());
        this.spec = spec;
        this.tokensPerChunk = spec.audio().tokensPerChunk();
        this.hidden = spec.decoder().hiddenSize();
        this.session = runtime.open(spec.dir().resolve(g.file()));
    }

    /**
     * Encodes segments.
     *
     * @param segments log-mel features, each {@code (n_mels, frames)}
     * @return per segment, its audio embeddings {@code (tokens, hidden)} in the model dtype, with
     *     {@code tokens = AudioTokens.forFrames(frames)}
     */
    public List<Embeddings> encode(List<MelFeatures> segments) throws OrtException {
        AudioChunks chunks = new AudioChunks(segments, spec);
        List<Embeddings> out = new ArrayList<>();
        for (int s = 0; s < segments.size(); s++) {
            int tokens = chunks.tokens(s);
            out.add(new Embeddings(dtype.allocate((long) tokens * hidden), tokens));
        }
        // Run the chunks in groups; append each chunk's valid tokens to its segment.
        int[] filled = new int[segments.size()]; // tokens written per segment
        for (int from = 0; from < chunks.size(); from += MAX_CHUNKS_PER_RUN) {
            runGroup(chunks, from, Math.min(chunks.size(), from + MAX_CHUNKS_PER_RUN), out, filled);
        }
        for (int s = 0; s < out.size(); s++) {
            if (filled[s] != out.get(s).tokens()) {
                throw new IllegalStateException(
                        "segment "
                                + s
                                + ": encoder gave "
                                + filled[s]
                                + " tokens, expected "
                                + out.get(s).tokens());
            }
        }
        return out;
    }

    private void runGroup(AudioChunks chunks, int from, int to, List<Embeddings> out, int[] filled)
            throws OrtException {
        try (OnnxTensor featuresT = chunks.features(runtime.env(), from, to);
                OnnxTensor lensT = chunks.lens(runtime.env(), from, to);
                OrtSession.Result result =
                        session.run(Map.of(inputFeatures, featuresT, featureLens, lensT))) {
            // (chunks, tokens_per_chunk, hidden) in the model dtype, raw bytes
            ByteBuffer embeds = bytesOf(result, audioEmbeds);
            int rowBytes = hidden * dtype.bytes();
            for (int c = from; c < to; c++) {
                int segment = chunks.segment(c);
                int valid = chunks.validTokens(c);
                ByteBuffer src = embeds.duplicate();
                src.position((c - from) * tokensPerChunk * rowBytes)
                        .limit(((c - from) * tokensPerChunk + valid) * rowBytes);
                ByteBuffer dst = out.get(segment).data().duplicate();
                dst.position(filled[segment] * rowBytes);
                dst.put(src);
                filled[segment] += valid;
            }
        }
    }

    private static ByteBuffer bytesOf(OrtSession.Result result, String name) {
        OnnxValue v =
                result.get(name)
                        .orElseThrow(
                                () -> new IllegalStateException("graph gave no output " + name));
        return ((OnnxTensor) v).getByteBuffer();
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the audio encoder session", e);
        }
    }

    /**
     * Audio embeddings of one segment.
     *
     * @param data {@code (tokens, hidden)} values in the model dtype, native byte order
     * @param tokens audio tokens
     */
    public record Embeddings(ByteBuffer data, int tokens) {}
}
