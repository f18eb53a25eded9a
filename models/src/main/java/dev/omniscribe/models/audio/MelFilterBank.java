package dev.omniscribe.models.audio;

/**
 * Triangular mel filters on the Slaney mel scale with Slaney area normalization, as {@code
 * transformers.audio_utils.mel_filter_bank(norm="slaney", mel_scale="slaney")} builds them for
 * Whisper. Stored sparsely: each filter keeps only its non-zero span of FFT bins.
 */
public final class MelFilterBank {

    private final int[] firstBin; // per mel filter
    private final double[][] weights; // per mel filter, weights for firstBin, firstBin + 1, ...

    /**
     * @param numFrequencyBins FFT bins 0..n_fft/2, i.e. n_fft/2 + 1
     * @param numMelFilters mel bins
     * @param minHz lowest filter edge in Hz
     * @param maxHz highest filter edge in Hz
     * @param sampleRate sampling rate in Hz
     */
    public MelFilterBank(
            int numFrequencyBins, int numMelFilters, double minHz, double maxHz, int sampleRate) {
        double melMin = hertzToMel(minHz);
        double melMax = hertzToMel(maxHz);
        // Filter edges: num_mel_filters + 2 points evenly spaced in mel, mapped back to Hz.
        double[] edges = new double[numMelFilters + 2];
        for (int i = 0; i < edges.length; i++) {
            double mel = melMin + (melMax - melMin) * i / (edges.length - 1);
            edges[i] = melToHertz(mel);
        }
        // FFT bin frequencies: linspace(0, sample_rate // 2, num_frequency_bins)
        double[] fftHz = new double[numFrequencyBins];
        for (int k = 0; k < numFrequencyBins; k++) {
            fftHz[k] = (double) (sampleRate / 2) * k / (numFrequencyBins - 1);
        }
        this.firstBin = new int[numMelFilters];
        this.weights = new double[numMelFilters][];
        for (int m = 0; m < numMelFilters; m++) {
            double enorm = 2.0 / (edges[m + 2] - edges[m]);
            double[] dense = new double[numFrequencyBins];
            int lo = -1;
            int hi = -1;
            for (int k = 0; k < numFrequencyBins; k++) {
                double down = (fftHz[k] - edges[m]) / (edges[m + 1] - edges[m]);
                double up = (edges[m + 2] - fftHz[k]) / (edges[m + 2] - edges[m + 1]);
                double w = Math.max(0.0, Math.min(down, up)) * enorm;
                dense[k] = w;
                if (w != 0) {
                    if (lo < 0) {
                        lo = k;
                    }
                    hi = k;
                }
            }
            if (lo < 0) {
                lo = 0;
                hi = -1;
            }
            firstBin[m] = lo;
            weights[m] = java.util.Arrays.copyOfRange(dense, lo, hi + 1);
        }
    }

    public int numMelFilters() {
        return weights.length;
    }

    /**
     * Applies the filters to one power spectrum.
     *
     * @param power power per FFT bin, length n_fft/2 + 1 (the constructor's {@code
     *     numFrequencyBins})
     * @param out mel energies, length {@link #numMelFilters()} (overwritten)
     */
    public void apply(double[] power, double[] out) {
        for (int m = 0; m < weights.length; m++) {
            double[] w = weights[m];
            int k0 = firstBin[m];
            double acc = 0;
            for (int i = 0; i < w.length; i++) {
                acc += w[i] * power[k0 + i];
            }
            out[m] = acc;
        }
    }

    private static double hertzToMel(double hz) {
        double minLogHz = 1000.0;
        double minLogMel = 15.0;
        double logStep = 27.0 / Math.log(6.4);
        return hz >= minLogHz ? minLogMel + Math.log(hz / minLogHz) * logStep : 3.0 * hz / 200.0;
    }

    private static double melToHertz(double mel) {
        double minLogHz = 1000.0;
        double minLogMel = 15.0;
        double logStep = Math.log(6.4) / 27.0;
        return mel >= minLogMel
                ? minLogHz * Math.exp(logStep * (mel - minLogMel))
                : 200.0 * mel / 3.0;
    }
}
