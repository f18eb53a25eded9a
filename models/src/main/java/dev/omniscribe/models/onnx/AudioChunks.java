package dev.omniscribe.models.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.audio.AudioTokens;
import dev.omniscribe.models.audio.MelFeatures;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The audio encoder's input for a list of segments: every segment cut into chunks of {@code
 * chunk_frames} mel frames, all segments' chunks in order, and where each segment's audio tokens
 * lie in the encoder's output {@code (chunks * tokens_per_chunk, hidden)} (MODEL_FORMAT.md).
 */
public final class AudioChunks {

    private final List<MelFeatures> segments;
    private final List<int[]> chunks = new ArrayList<>(); // (segment, first frame, valid frames)
    private final int nMels;
    private final int chunkFrames;
    private final int tokensPerChunk;
    private final Dtype dtype;

    public AudioChunks(List<MelFeatures> segments, ModelSpec spec) {
        this.segments = segments;
        this.nMels = spec.audio().nMels();
        this.chunkFrames = spec.audio().chunkFrames();
        this.tokensPerChunk = spec.audio().tokensPerChunk();
        this.dtype = Dtype.of(spec.dtype());
        for (int s = 0; s < segments.size(); s++) {
            MelFeatures mel = segments.get(s);
            if (mel.nMels() != nMels) {
                throw new IllegalArgumentException(
                        "features have " + mel.nMels() + " mel bins, model wants " + nMels);
            }
            for (int start = 0; start < mel.frames(); start += chunkFrames) {
                chunks.add(new int[] {s, start, Math.min(chunkFrames, mel.frames() - start)});
            }
        }
    }

    /** Number of chunks. */
    public int size() {
        return chunks.size();
    }

    /** The segment chunk {@code c} belongs to. */
    public int segment(int c) {
        return chunks.get(c)[0];
    }

    /** Audio tokens the encoder gives for chunk {@code c} (the first ones of its output row). */
    public int validTokens(int c) {
        return AudioTokens.forChunk(chunks.get(c)[2]);
    }

    /** Audio tokens of segment {@code s}. */
    public int tokens(int s) {
        return AudioTokens.forFrames(segments.get(s).frames());
    }

    /**
     * Features {@code (to - from, n_mels, chunk_frames)} of chunks {@code [from, to)} in the model
     * dtype, zero after each chunk's valid frames (chunks packed in parallel).
     */
    public OnnxTensor features(OrtEnvironment env, int from, int to) throws OrtException {
        int n = to - from;
        ByteBuffer features = dtype.allocate((long) n * nMels * chunkFrames);
        IntStream.range(0, n)
                .parallel()
                .forEach(
                        c -> {
                            int[] chunk = chunks.get(from + c);
                            MelFeatures mel = segments.get(chunk[0]);
                            for (int m = 0; m < nMels; m++) {
                                int dst = (c * nMels + m) * chunkFrames;
                                int src = m * mel.frames() + chunk[1];
                                for (int t = 0; t < chunk[2]; t++) {
                                    dtype.put(features, dst + t, mel.values()[src + t]);
                                }
                            }
                        });
        return dtype.tensor(env, features, n, nMels, chunkFrames);
    }

    /** Valid frames {@code (to - from)} int64 of chunks {@code [from, to)}. */
    public OnnxTensor lens(OrtEnvironment env, int from, int to) throws OrtException {
        LongBuffer lens = LongBuffer.allocate(to - from);
        for (int c = from; c < to; c++) {
            lens.put(c - from, chunks.get(c)[2]);
        }
        return OnnxTensor.createTensor(env, lens, new long[] {to - from});
    }

    /**
     * Where segment {@code s}'s audio tokens lie, in order, in the encoder's output over all chunks
     * flattened to {@code (chunks * tokens_per_chunk, hidden)}.
     */
    public long[] tokenIndex(int s) {
        long[] index = new long[tokens(s)];
        int k = 0;
        for (int c = 0; c < chunks.size(); c++) {
            if (chunks.get(c)[0] == s) {
                for (int t = 0; t < validTokens(c); t++) {
                    index[k++] = (long) c * tokensPerChunk + t;
                }
            }
        }
        if (k != index.length) {
            throw new IllegalStateException(
                    "segment " + s + ": chunks give " + k + " tokens, expected " + index.length);
        }
        return index;
    }
}
