package dev.omniscribe.models.generate;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits: argmax when the temperature is 0, else a draw from
 * {@code softmax(logits / temperature)} with a seeded generator (same seed, same logits → same
 * tokens).
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

    /** ARGMAX for temperature 0, else temperature sampling seeded with {@code seed}. */
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

    /** Temperature sampling with a per-sequence seeded generator. */
    final class Temperature implements Sampler {
        private final double temperature;
        private final SplittableRandom random;
        private double[] weights = new double[0];

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
            if (weights.length != vocab) {
                weights = new double[vocab];
            }
            // softmax(logits / T), shifted by the max for stability
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) {
                max = Math.max(max, logits.get(offset + i) / temperature);
            }
            double sum = 0;
            for (int i = 0; i < vocab; i++) {
                double w = Math.exp(logits.get(offset + i) / temperature - max);
                weights[i] = w;
                sum += w;
            }
            double u = random.nextDouble() * sum;
            double acc = 0;
            for (int i = 0; i < vocab; i++) {
                acc += weights[i];
                if (u < acc) {
                    return i;
                }
            }
            return argmax(logits, offset, vocab); // only reached through rounding at the very end
        }
    }
}
