package dev.omniscribe.udfs.audio;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Silero VAD v5 (ONNX, shipped as a resource: {@code silero_vad_v5.md} says where it comes from),
 * run by ONNX Runtime on the CPU with one thread. It gives the probability that each 32 ms window
 * (512 samples at 16 kHz) holds speech.
 *
 * <p>One instance holds one ONNX Runtime session and may serve several threads; each audio stream
 * (a file's channel) takes its own {@link Stream}, which carries the model's recurrent state and
 * the previous window's last samples. Close the instance when done.
 */
public final class SileroVad implements AutoCloseable {

    /** Sample rate the model reads, Hz. */
    public static final int SAMPLE_RATE = 16_000;

    /** Samples per window: the model's only window length at 16 kHz. */
    public static final int WINDOW = 512;

    /** Samples of the previous window put before each window (v5 at 16 kHz). */
    static final int CONTEXT = 64;

    /** The model file, next to this class. */
    static final String RESOURCE = "silero_vad_v5.onnx";

    // Graph names and shapes (checked in the constructor).
    private static final String INPUT = "input"; // float (1, CONTEXT + WINDOW)
    private static final String STATE = "state"; // float (2, 1, 128)
    private static final String SR = "sr"; // int64 scalar, 16000
    private static final String OUTPUT = "output"; // float (1, 1): speech probability
    private static final String STATE_OUT = "stateN"; // float (2, 1, 128)

    /**
     * Windows each batched stretch first runs over, from the audio before it, to warm its state.
     */
    static final int WARM_UP = 16;

    static final int DEFAULT_ROWS = 16;

    /** 8 s per stretch: with {@link #DEFAULT_ROWS}, blocks of 128 s. */
    static final int DEFAULT_ROW_WINDOWS = 250;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final OnnxTensor sampleRate;

    /** Loads the shipped model on the CPU, one intra-op thread. */
    public SileroVad() {
        env = OrtEnvironment.getEnvironment();
        byte[] model;
        try (InputStream in = SileroVad.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("speech detection model missing: " + RESOURCE);
            }
            model = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(model, options);
            checkNames(session.getInputNames(), Set.of(INPUT, STATE, SR), "inputs");
            checkNames(session.getOutputNames(), Set.of(OUTPUT, STATE_OUT), "outputs");
            sampleRate = OnnxTensor.createTensor(env, (long) SAMPLE_RATE);
        } catch (OrtException e) {
            throw new IllegalStateException("cannot load " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    private static void checkNames(Set<String> actual, Set<String> expected, String what) {
        if (!actual.equals(expected)) {
            throw new IllegalStateException(
                    RESOURCE + " " + what + " are " + actual + ", expected " + expected);
        }
    }

    /**
     * A new stream over one channel's audio: its windows' probabilities are computed in blocks of
     * {@code rows} stretches of {@code rowWindows} windows each, run side by side as one batch
     * (each stretch with its own state, warmed up on the {@value #WARM_UP} windows before it),
     * which is several times faster than one window per call.
     *
     * @param listener receives each window's probability, in order
     */
    public Stream stream(ProbabilityListener listener) {
        return new Stream(DEFAULT_ROWS, DEFAULT_ROW_WINDOWS, listener);
    }

    /**
     * As {@link #stream(ProbabilityListener)}, with the block's shape given. One row is silero's
     * own way: one window per call, the state carried from window to window, no warm-up.
     */
    public Stream stream(int rows, int rowWindows, ProbabilityListener listener) {
        return new Stream(rows, rowWindows, listener);
    }

    @Override
    public void close() {
        try {
            sampleRate.close();
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Receives speech probabilities. */
    @FunctionalInterface
    public interface ProbabilityListener {
        /**
         * @param window the window's position in the stream, from 0 (it starts at sample {@code
         *     window * WINDOW})
         * @param probability the probability that the window holds speech, in [0, 1]
         */
        void window(long window, float probability);
    }

    /**
     * One audio stream (a file's channel). Samples go in as they arrive; probabilities come out
     * block by block, in window order, and the rest when the stream is finished (a last partial
     * window is padded with zeros, as silero's own code does). Not thread-safe.
     */
    public final class Stream {
        private final int rows;
        private final int rowWindows;
        private final ProbabilityListener listener;
        // The previous block's last WARM_UP windows and CONTEXT samples (zeros at the start), then
        // this block's samples.
        private final float[] block;
        private final int head = WARM_UP * WINDOW + CONTEXT;
        private int filled; // samples of this block
        private long nextWindow;
        private boolean finished;
        // Per batched call: rows x (CONTEXT + WINDOW) inputs, rows x 128 x 2 state.
        private final float[] input;
        private final float[] state;
        private final float[] probabilities;

        private Stream(int rows, int rowWindows, ProbabilityListener listener) {
            if (rows < 1 || rowWindows < 1) {
                throw new IllegalArgumentException("rows and windows per row must be positive");
            }
            this.rows = rows;
            this.rowWindows = rowWindows;
            this.listener = listener;
            this.block = new float[head + rows * rowWindows * WINDOW];
            this.input = new float[rows * (CONTEXT + WINDOW)];
            this.state = new float[2 * rows * 128];
            this.probabilities = new float[rows * rowWindows];
        }

        /** Adds samples in [-1, 1); runs every block that is full. */
        public void accept(float[] samples, int offset, int length) {
            if (finished) {
                throw new IllegalStateException("stream already finished");
            }
            while (length > 0) {
                int n = Math.min(length, block.length - head - filled);
                System.arraycopy(samples, offset, block, head + filled, n);
                filled += n;
                offset += n;
                length -= n;
                if (head + filled == block.length) {
                    run(rowWindows);
                }
            }
        }

        /** Runs what is left (a partial last window padded with zeros). */
        public void finish() {
            finished = true;
            if (filled > 0) {
                int windows = (filled + WINDOW - 1) / WINDOW;
                Arrays.fill(block, head + filled, head + windows * WINDOW, 0f);
                run((windows + rows - 1) / rows);
            }
        }

        /** Windows whose probability has been given to the listener. */
        public long windows() {
            return nextWindow;
        }

        // Runs the block's windows as `rows` stretches of `perRow` windows, each stretch after its
        // WARM_UP windows (whose probabilities are dropped), then hands the probabilities on.
        private void run(int perRow) {
            int windows = (filled + WINDOW - 1) / WINDOW;
            int usedRows = (windows + perRow - 1) / perRow;
            // One row is the plain sequential stream: its state carries on from block to block.
            int warmUp = rows == 1 ? 0 : WARM_UP;
            if (rows > 1) {
                Arrays.fill(state, 0f);
            }
            long[] inputShape = {usedRows, CONTEXT + WINDOW};
            long[] stateShape = {2, usedRows, 128};
            int stateLength = 2 * usedRows * 128;
            for (int step = 0; step < warmUp + perRow; step++) {
                for (int r = 0; r < usedRows; r++) {
                    // Window `step` of row r starts WARM_UP windows before the row's first own
                    // window; the CONTEXT samples before it come along. Past the block's end:
                    // zeros.
                    int from = head + (r * perRow + step - warmUp) * WINDOW - CONTEXT;
                    int to = r * (CONTEXT + WINDOW);
                    int n = Math.max(0, Math.min(CONTEXT + WINDOW, block.length - from));
                    System.arraycopy(block, from, input, to, n);
                    Arrays.fill(input, to + n, to + CONTEXT + WINDOW, 0f);
                }
                try (OnnxTensor x =
                                OnnxTensor.createTensor(
                                        env,
                                        FloatBuffer.wrap(input, 0, usedRows * (CONTEXT + WINDOW)),
                                        inputShape);
                        OnnxTensor h =
                                OnnxTensor.createTensor(
                                        env, FloatBuffer.wrap(state, 0, stateLength), stateShape);
                        OrtSession.Result result =
                                session.run(Map.of(INPUT, x, STATE, h, SR, sampleRate))) {
                    FloatBuffer p = ((OnnxTensor) result.get(OUTPUT).get()).getFloatBuffer();
                    ((OnnxTensor) result.get(STATE_OUT).get())
                            .getFloatBuffer()
                            .get(state, 0, stateLength);
                    if (step >= warmUp) {
                        for (int r = 0; r < usedRows; r++) {
                            probabilities[r * perRow + step - warmUp] = p.get(r);
                        }
                    }
                } catch (OrtException e) {
                    throw new IllegalStateException(
                            "speech detection failed: " + e.getMessage(), e);
                }
            }
            for (int w = 0; w < windows; w++) {
                listener.window(nextWindow++, probabilities[w]);
            }
            // Keep the last WARM_UP windows and CONTEXT samples for the next block's first row.
            int keepFrom = head + windows * WINDOW - head;
            System.arraycopy(block, keepFrom, block, 0, head);
            filled = 0;
        }
    }
}
