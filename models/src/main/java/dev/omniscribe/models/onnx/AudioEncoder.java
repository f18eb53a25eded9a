package dev.omniscribe.models.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.audio.AudioTokens;
import dev.omniscribe.models.audio.MelFeatures;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
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
    private final int nMels;
    private final int chunkFrames;
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
        this.nMels = spec.audio().nMels();
        this.chunkFrames = spec.audio().chunkFrames();
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
        // 1. Chunk list: (segment, first frame, valid frames), all segments in order.
        List<int[]> chunks = new ArrayList<>();
        List<Embeddings> out = new ArrayList<>();
        for (int s = 0; s < segments.size(); s++) {
            MelFeatures mel = segments.get(s);
            if (mel.nMels() != nMels) {
                throw new IllegalArgumentException(
                        "features have " + mel.nMels() + " mel bins, model wants " + nMels);
            }
            for (int start = 0; start < mel.frames(); start += chunkFrames) {
                chunks.add(new int[] {s, start, Math.min(chunkFrames, mel.frames() - start)});
            }
            int tokens = AudioTokens.forFrames(mel.frames());
            out.add(new Embeddings(dtype.allocate((long) tokens * hidden), tokens, hidden, dtype));
        }
        // 2. Run the chunks in groups; append each chunk's valid tokens to its segment.
        int[] filled = new int[segments.size()]; // tokens written per segment
        for (int from = 0; from < chunks.size(); from += MAX_CHUNKS_PER_RUN) {
            List<int[]> group =
                    chunks.subList(from, Math.min(chunks.size(), from + MAX_CHUNKS_PER_RUN));
            runGroup(segments, group, out, filled);
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

    private void runGroup(
            List<MelFeatures> segments, List<int[]> group, List<Embeddings> out, int[] filled)
            throws OrtException {
        int n = group.size();
        // (chunks, n_mels, chunk_frames), zero after each chunk's valid frames
        ByteBuffer features = dtype.allocate((long) n * nMels * chunkFrames);
        LongBuffer lens = LongBuffer.allocate(n); // (chunks)
        for (int c = 0; c < n; c++) {
            int[] chunk = group.get(c);
            MelFeatures mel = segments.get(chunk[0]);
            int start = chunk[1];
            int len = chunk[2];
            for (int m = 0; m < nMels; m++) {
                int dst = (c * nMels + m) * chunkFrames;
                int src = m * mel.frames() + start;
                for (int t = 0; t < len; t++) {
                    dtype.put(features, dst + t, mel.values()[src + t]);
                }
            }
            lens.put(c, len);
        }
        try (OnnxTensor featuresT = dtype.tensor(runtime.env(), features, n, nMels, chunkFrames);
                OnnxTensor lensT = OnnxTensor.createTensor(runtime.env(), lens, new long[] {n});
                OrtSession.Result result =
                        session.run(Map.of(inputFeatures, featuresT, featureLens, lensT))) {
            // (chunks, tokens_per_chunk, hidden) in the model dtype, raw bytes
            ByteBuffer embeds = bytesOf(result, audioEmbeds);
            int rowBytes = hidden * dtype.bytes();
            for (int c = 0; c < n; c++) {
                int[] chunk = group.get(c);
                int valid = AudioTokens.forChunk(chunk[2]);
                Embeddings e = out.get(chunk[0]);
                ByteBuffer src = embeds.duplicate();
                src.position(c * tokensPerChunk * rowBytes)
                        .limit((c * tokensPerChunk + valid) * rowBytes);
                ByteBuffer dst = e.data().duplicate();
                dst.position(filled[chunk[0]] * rowBytes);
                dst.put(src);
                filled[chunk[0]] += valid;
            }
        }
    }

    static ByteBuffer bytesOf(OrtSession.Result result, String name) {
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
     * @param data {@code (tokens, hidden)} values in {@code dtype}, native byte order
     * @param tokens audio tokens
     * @param hidden embedding width
     * @param dtype element type
     */
    public record Embeddings(ByteBuffer data, int tokens, int hidden, Dtype dtype) {}
}
