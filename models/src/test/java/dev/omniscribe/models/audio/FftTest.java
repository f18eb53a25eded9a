package dev.omniscribe.models.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FftTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 16, 25, 28, 100, 400, 512})
    void matchesTheDirectDftForComplexInputWithin1e9(int n) {
        Random rnd = new Random(n);
        double[] re = new double[n];
        double[] im = new double[n];
        for (int i = 0; i < n; i++) {
            re[i] = rnd.nextGaussian();
            im[i] = rnd.nextGaussian();
        }
        double[] outRe = new double[n];
        double[] outIm = new double[n];
        new Fft(n).transform(re, im, outRe, outIm);
        for (int k = 0; k < n; k++) {
            double sr = 0;
            double si = 0;
            for (int j = 0; j < n; j++) {
                double a = -2 * Math.PI * ((long) j * k % n) / n;
                sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
                si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
            }
            assertThat(outRe[k])
                    .as("re[%d]", k)
                    .isCloseTo(sr, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(outIm[k])
                    .as("im[%d]", k)
                    .isCloseTo(si, org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {11, 401, 0})
    void refusesLengthsWithLargePrimeFactors(int n) {
        assertThatThrownBy(() -> new Fft(n)).isInstanceOf(IllegalArgumentException.class);
    }
}
