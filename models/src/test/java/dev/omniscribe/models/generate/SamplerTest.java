package dev.omniscribe.models.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void argmaxTakesTheFirstOfEqualMaxima() {
        FloatBuffer row = FloatBuffer.wrap(new float[] {0, 1, 3, 3, -2});
        assertThat(Sampler.ARGMAX.sample(row, 0, 5)).isEqualTo(2);
        assertThat(Sampler.of(0, 99)).isSameAs(Sampler.ARGMAX);
    }

    @Test
    void temperatureSamplingIsReproducibleForASeedAndFollowsTheDistribution() {
        FloatBuffer row = FloatBuffer.wrap(new float[] {0, (float) Math.log(3), -100});
        Sampler a = Sampler.of(1.0, 7);
        Sampler b = Sampler.of(1.0, 7);
        int[] counts = new int[3];
        for (int i = 0; i < 4000; i++) {
            int x = a.sample(row, 0, 3);
            assertThat(b.sample(row, 0, 3)).isEqualTo(x);
            counts[x]++;
        }
        // p = (1/4, 3/4, ~0)
        assertThat(counts[1] / 4000.0).isBetween(0.72, 0.78);
        assertThat(counts[2]).isZero();
    }

    @Test
    void lowTemperatureSharpensTowardsTheArgmax() {
        FloatBuffer row = FloatBuffer.wrap(new float[] {1, 2, 1.5f});
        Sampler s = Sampler.of(0.01, 1);
        for (int i = 0; i < 100; i++) {
            assertThat(s.sample(row, 0, 3)).isEqualTo(1);
        }
    }

    @Test
    void temperatureSamplingDrawsOnlyFromTheFiftyMostLikelyIds() {
        float[] logits = new float[200];
        for (int i = 0; i < logits.length; i++) {
            logits[i] =
                    -i * 0.001f; // nearly flat: without top-k most draws would land past rank 50
        }
        FloatBuffer row = FloatBuffer.wrap(logits);
        Sampler s = Sampler.of(1.0, 3);
        boolean[] seen = new boolean[200];
        for (int i = 0; i < 5000; i++) {
            int x = s.sample(row, 0, 200);
            assertThat(x).isLessThan(Sampler.TOP_K);
            seen[x] = true;
        }
        assertThat(seen[0]).isTrue();
        assertThat(seen[Sampler.TOP_K - 1]).isTrue();
    }

    @Test
    void topKKeepsTheLowestIdAmongEqualLogits() {
        float[] logits = new float[120];
        java.util.Arrays.fill(logits, 1f);
        FloatBuffer row = FloatBuffer.wrap(logits);
        Sampler s = Sampler.of(1.0, 5);
        for (int i = 0; i < 2000; i++) {
            assertThat(s.sample(row, 0, 120)).isLessThan(Sampler.TOP_K);
        }
    }
}
