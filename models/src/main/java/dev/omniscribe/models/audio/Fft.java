package dev.omniscribe.models.audio;

import java.util.ArrayList;
import java.util.List;

/**
 * A mixed-radix complex FFT for one fixed length whose prime factors are small (400 = 4·4·5·5 for
 * Whisper's n_fft). Twiddles are precomputed; {@link #transform} allocates nothing.
 *
 * <p>Not thread-safe: it owns a small scratch buffer. Make one per thread.
 */
public final class Fft {

    private final int n;
    private final int[] factors;
    // Per recursion level: twiddles W_len^{q·k} at [q * m + k], and the p-point DFT matrix.
    private final double[][] twiddleRe;
    private final double[][] twiddleIm;
    private final double[][] rootRe;
    private final double[][] rootIm;
    private final double[] scratchRe;
    private final double[] scratchIm;

    /**
     * @param n transform length; its prime factors must all be at most 7
     */
    public Fft(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("FFT length must be positive, got " + n);
        }
        this.n = n;
        this.factors = factorize(n);
        int levels = factors.length;
        this.twiddleRe = new double[levels][];
        this.twiddleIm = new double[levels][];
        this.rootRe = new double[levels][];
        this.rootIm = new double[levels][];
        int len = n;
        int maxFactor = 1;
        for (int level = 0; level < levels; level++) {
            int p = factors[level];
            int m = len / p;
            maxFactor = Math.max(maxFactor, p);
            twiddleRe[level] = new double[p * m];
            twiddleIm[level] = new double[p * m];
            for (int q = 0; q < p; q++) {
                for (int k = 0; k < m; k++) {
                    double angle = -2 * Math.PI * ((long) q * k % len) / len;
                    twiddleRe[level][q * m + k] = Math.cos(angle);
                    twiddleIm[level][q * m + k] = Math.sin(angle);
                }
            }
            rootRe[level] = new double[p * p];
            rootIm[level] = new double[p * p];
            for (int q = 0; q < p; q++) {
                for (int r = 0; r < p; r++) {
                    double angle = -2 * Math.PI * ((q * r) % p) / p;
                    rootRe[level][r * p + q] = Math.cos(angle);
                    rootIm[level][r * p + q] = Math.sin(angle);
                }
            }
            len = m;
        }
        this.scratchRe = new double[maxFactor];
        this.scratchIm = new double[maxFactor];
    }

    /**
     * Forward DFT {@code X[k] = Σ x[j]·exp(−2πi·jk/n)}.
     *
     * @param inRe real part of the input, length n (not modified)
     * @param inIm imaginary part of the input, length n, or null for real input
     * @param outRe real part of the output, length n (overwritten)
     * @param outIm imaginary part of the output, length n (overwritten)
     */
    public void transform(double[] inRe, double[] inIm, double[] outRe, double[] outIm) {
        if (n == 1) {
            outRe[0] = inRe[0];
            outIm[0] = inIm == null ? 0 : inIm[0];
            return;
        }
        step(inRe, inIm, 0, 1, outRe, outIm, 0, n, 0);
    }

    private void step(
            double[] inRe,
            double[] inIm,
            int inOff,
            int stride,
            double[] outRe,
            double[] outIm,
            int outOff,
            int len,
            int level) {
        int p = factors[level];
        int m = len / p;
        if (m == 1) {
            // Last level: a p-point DFT straight from the strided input.
            for (int q = 0; q < p; q++) {
                scratchRe[q] = inRe[inOff + q * stride];
                scratchIm[q] = inIm == null ? 0 : inIm[inOff + q * stride];
            }
            smallDft(level, p, scratchRe, scratchIm, outRe, outIm, outOff, 1);
            return;
        }
        // Decimation in time: p interleaved sub-sequences, each transformed into out[q*m .. q*m+m).
        for (int q = 0; q < p; q++) {
            step(
                    inRe,
                    inIm,
                    inOff + q * stride,
                    stride * p,
                    outRe,
                    outIm,
                    outOff + q * m,
                    m,
                    level + 1);
        }
        // Butterflies: X[k + r*m] = Σ_q W_p^{q·r} · (W_len^{q·k} · Y_q[k])
        double[] twRe = twiddleRe[level];
        double[] twIm = twiddleIm[level];
        double[] tRe = scratchRe;
        double[] tIm = scratchIm;
        for (int k = 0; k < m; k++) {
            for (int q = 0; q < p; q++) {
                int at = outOff + q * m + k;
                double c = twRe[q * m + k];
                double s = twIm[q * m + k];
                double re = outRe[at];
                double im = outIm[at];
                tRe[q] = re * c - im * s;
                tIm[q] = re * s + im * c;
            }
            smallDft(level, p, tRe, tIm, outRe, outIm, outOff + k, m);
        }
    }

    private static final double C1 = Math.cos(2 * Math.PI / 5);
    private static final double C2 = Math.cos(4 * Math.PI / 5);
    private static final double S1 = Math.sin(2 * Math.PI / 5);
    private static final double S2 = Math.sin(4 * Math.PI / 5);

    /** out[o + r·step] = Σ_q t[q]·W_p^{q·r} for r in [0, p). */
    private void smallDft(
            int level,
            int p,
            double[] tRe,
            double[] tIm,
            double[] outRe,
            double[] outIm,
            int o,
            int step) {
        if (p == 4) {
            // W_4 = -i: no multiplications.
            double aRe = tRe[0] + tRe[2];
            double aIm = tIm[0] + tIm[2];
            double bRe = tRe[0] - tRe[2];
            double bIm = tIm[0] - tIm[2];
            double cRe = tRe[1] + tRe[3];
            double cIm = tIm[1] + tIm[3];
            double dRe = tRe[1] - tRe[3];
            double dIm = tIm[1] - tIm[3];
            outRe[o] = aRe + cRe;
            outIm[o] = aIm + cIm;
            outRe[o + step] = bRe + dIm;
            outIm[o + step] = bIm - dRe;
            outRe[o + 2 * step] = aRe - cRe;
            outIm[o + 2 * step] = aIm - cIm;
            outRe[o + 3 * step] = bRe - dIm;
            outIm[o + 3 * step] = bIm + dRe;
            return;
        }
        if (p == 5) {
            // Symmetric radix-5: pairs (1,4) and (2,3) share cosines; sines flip sign.
            double a1Re = tRe[1] + tRe[4];
            double a1Im = tIm[1] + tIm[4];
            double b1Re = tRe[1] - tRe[4];
            double b1Im = tIm[1] - tIm[4];
            double a2Re = tRe[2] + tRe[3];
            double a2Im = tIm[2] + tIm[3];
            double b2Re = tRe[2] - tRe[3];
            double b2Im = tIm[2] - tIm[3];
            double x14Re = tRe[0] + C1 * a1Re + C2 * a2Re;
            double x14Im = tIm[0] + C1 * a1Im + C2 * a2Im;
            double x23Re = tRe[0] + C2 * a1Re + C1 * a2Re;
            double x23Im = tIm[0] + C2 * a1Im + C1 * a2Im;
            double u14Re = S1 * b1Re + S2 * b2Re; // X1 = x14 - i·u14, X4 = x14 + i·u14
            double u14Im = S1 * b1Im + S2 * b2Im;
            double u23Re = S2 * b1Re - S1 * b2Re; // X2 = x23 - i·u23, X3 = x23 + i·u23
            double u23Im = S2 * b1Im - S1 * b2Im;
            outRe[o] = tRe[0] + a1Re + a2Re;
            outIm[o] = tIm[0] + a1Im + a2Im;
            outRe[o + step] = x14Re + u14Im;
            outIm[o + step] = x14Im - u14Re;
            outRe[o + 4 * step] = x14Re - u14Im;
            outIm[o + 4 * step] = x14Im + u14Re;
            outRe[o + 2 * step] = x23Re + u23Im;
            outIm[o + 2 * step] = x23Im - u23Re;
            outRe[o + 3 * step] = x23Re - u23Im;
            outIm[o + 3 * step] = x23Im + u23Re;
            return;
        }
        double[] wRe = rootRe[level];
        double[] wIm = rootIm[level];
        for (int r = 0; r < p; r++) {
            double accRe = 0;
            double accIm = 0;
            int row = r * p;
            for (int q = 0; q < p; q++) {
                double c = wRe[row + q];
                double s = wIm[row + q];
                accRe += tRe[q] * c - tIm[q] * s;
                accIm += tRe[q] * s + tIm[q] * c;
            }
            outRe[o + r * step] = accRe;
            outIm[o + r * step] = accIm;
        }
    }

    private static int[] factorize(int n) {
        List<Integer> out = new ArrayList<>();
        int rest = n;
        while (rest % 4 == 0) {
            out.add(4);
            rest /= 4;
        }
        for (int f = 2; f <= 7; f++) {
            while (rest % f == 0) {
                out.add(f);
                rest /= f;
            }
        }
        if (rest != 1) {
            throw new IllegalArgumentException(
                    "FFT length " + n + " has a prime factor above 7; not supported");
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
