package dev.omniscribe.models.generate;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits: argmax when the temperature is 0, else a draw from
 * {@code softmax(logits / temperature)} over the {@link #TOP_K} most likely ids with a seeded
 * generator (same seed, same logits → same tokens).
 *
 * <p>A sampler with a temperature owns its random state: one per sequence, not thread-safe.
 */
public interface Sampler {

    /** Greedy decoding; ties go to the lowest id, as {@code torch.argmax}. */
    Sampler ARGMAX = Sampler::argmax;

    /**
     * @param logits a buffer holding the row at {@code offset}
     * @param offset index of the row's first logit
     * @param vocab row length
     * @return the chosen token id
     */
    int sample(FloatBuffer logits, int offset, int vocab);

    /** ARGMAX for temperature 0, else top-k temperature sampling seeded with {@code seed}. */
    static Sampler of(double temperature, long seed) {
        return temperature == 0 ? ARGMAX : new Temperature(temperature, seed);
    }

    static int argmax(FloatBuffer logits, int offset, int vocab) {
        int best = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float v = logits.get(offset + i);
            if (v > max) {
                max = v;
                best = i;
            }
        }
        return best;
    }

    /**
     * The number of most likely ids temperature sampling draws from: transformers' default {@code
     * top_k}, as {@code generate.onnx}'s sampler.
     */
    int TOP_K = 50;

    /**
     * The next draw in [0, 1) of a sequence's generator, as a float: what both loops feed the
     * inverse CDF ({@code GraphLoopGenerator} passes it to the graph as float32).
     */
    static float uniform(SplittableRandom random) {
        return Math.min((float) random.nextDouble(), Math.nextDown(1f));
    }

    /**
     * Temperature sampling over the {@link #TOP_K} most likely ids with a per-sequence seeded
     * generator, as {@code generate.onnx} samples: the ids sorted by logit (ties: lowest id first),
     * {@code softmax(logits / temperature)} over them, one uniform draw {@code u} per step from
     * {@code SplittableRandom(seed)} (as a float, as {@code GraphLoopGenerator} passes it), and the
     * first id whose cumulative probability exceeds {@code u}.
     */
    final class Temperature implements Sampler {
        private final double temperature;
        private final SplittableRandom random;
        private final int[] ids = new int[TOP_K];
        private final float[] top = new float[TOP_K];

        public Temperature(double temperature, long seed) {
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException(
                        "temperature must be positive, got " + temperature);
            }
            this.temperature = temperature;
            this.random = new SplittableRandom(seed);
        }

        @Override
        public int sample(FloatBuffer logits, int offset, int vocab) {
            // the k largest logits, sorted descending; an id enters only past strictly smaller
            // ones,
            // so among equal logits the lower id ranks first
            int k = 0;
            int cap = Math.min(TOP_K, vocab);
            for (int i = 0; i < vocab; i++) {
                float v = logits.get(offset + i);
                if (k == cap && !(v > top[k - 1])) {
                    continue;
                }
                int j = k < cap ? k++ : k - 1;
                while (j > 0 && v > top[j - 1]) {
                    top[j] = top[j - 1];
                    ids[j] = ids[j - 1];
                    j--;
                }
                top[j] = v;
                ids[j] = i;
            }
            // softmax(top / T), shifted by the max (top[0]) for stability
            double[] weights = new double[k];
            double sum = 0;
            for (int r = 0; r < k; r++) {
                weights[r] = Math.exp((top[r] - top[0]) / temperature);
                sum += weights[r];
            }
            double u = uniform(random) * sum;
            double acc = 0;
            for (int r = 0; r < k; r++) {
                acc += weights[r];
                if (acc > u) {
                    return ids[r];
                }
            }
            return ids[0]; // only reached through rounding at the very end
        }
    }
}
