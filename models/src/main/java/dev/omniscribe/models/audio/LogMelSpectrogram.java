package dev.omniscribe.models.audio;

/**
 * Whisper-style log-mel features exactly as Qwen2.5-Omni's processor computes them.
 *
 * <p>The processor ({@code WhisperFeatureExtractor} with {@code padding="max_length"}) first pads
 * the audio with zeros to the model's maximum length ({@code maxSamples}, 300 s), then runs a
 * centered STFT (reflect padding of n_fft/2 at both ends of the <em>padded</em> signal, periodic
 * Hann window, power spectrum), applies Slaney mel filters, takes {@code log10(max(x, 1e-10))},
 * drops the last STFT frame, clamps every value to at least {@code max − 8} (max over the whole
 * padded spectrogram) and maps {@code x → (x + 4) / 4}. Its attention mask then keeps {@code
 * ceil(samples / hop)} frames. This class computes only those frames (plus the few frames past the
 * end that still overlap the audio, which take part in the max), so frames near the end see zeros
 * after the audio, not a reflection, unless the audio fills the maximum length.
 *
 * <p>Arithmetic is in double precision; the reference runs in float32, so values agree to about
 * 1e-5.
 *
 * <p>Immutable and thread-safe; each call allocates its own scratch buffers.
 */
public final class LogMelSpectrogram {

    private static final double LOG_FLOOR = 1e-10;

    private final int nFft;
    private final int hop;
    private final int maxSamples;
    private final double[] window;
    private final MelFilterBank filters;

    /**
     * @param sampleRate Hz (16000)
     * @param nFft FFT length in samples (400)
     * @param hop hop length in samples (160)
     * @param nMels mel bins (128)
     * @param maxSamples the length the processor pads to, in samples (300 s × 16 kHz)
     */
    public LogMelSpectrogram(int sampleRate, int nFft, int hop, int nMels, int maxSamples) {
        if (sampleRate <= 0 || nFft <= 0 || hop <= 0 || nMels <= 0 || maxSamples < nFft) {
            throw new IllegalArgumentException(
                    "bad mel parameters: rate "
                            + sampleRate
                            + " n_fft "
                            + nFft
                            + " hop "
                            + hop
                            + " mels "
                            + nMels
                            + " max samples "
                            + maxSamples);
        }
        this.nFft = nFft;
        this.hop = hop;
        this.maxSamples = maxSamples;
        this.window = new double[nFft];
        for (int i = 0; i < nFft; i++) {
            window[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / nFft); // periodic Hann
        }
        this.filters = new MelFilterBank(nFft / 2 + 1, nMels, 0.0, sampleRate / 2.0, sampleRate);
        new Fft(nFft); // fail fast on an unsupported length
    }

    /** The longest audio accepted, in samples. */
    public int maxSamples() {
        return maxSamples;
    }

    /** Mel frames the processor keeps for {@code samples} samples: {@code ceil(samples / hop)}. */
    public int frames(int samples) {
        return (int) ((samples + (long) hop - 1) / hop);
    }

    /**
     * Computes the features of one segment.
     *
     * @param samples mono PCM at the sampling rate given, values in [-1, 1]; at most {@link
     *     #maxSamples()} samples, at least one
     * @return {@code (nMels, ceil(samples.length / hop))} features
     */
    public MelFeatures compute(float[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no audio samples");
        }
        if (samples.length > maxSamples) {
            throw new IllegalArgumentException(
                    "audio has "
                            + samples.length
                            + " samples, more than the model's maximum of "
                            + maxSamples);
        }
        int nMels = filters.numMelFilters();
        int frames = frames(samples.length);
        // STFT frames of the padded signal, after dropping the last one.
        int paddedFrames = maxSamples / hop;
        // Frames whose window still reaches into the audio take part in the max.
        int computed = Math.min(paddedFrames, (samples.length + nFft / 2 + hop - 1) / hop + 1);
        computed = Math.max(computed, frames);

        Fft fft = new Fft(nFft);
        double[] frameA = new double[nFft];
        double[] frameB = new double[nFft];
        double[] specRe = new double[nFft];
        double[] specIm = new double[nFft];
        double[] powerA = new double[nFft / 2 + 1];
        double[] powerB = new double[nFft / 2 + 1];
        double[] mel = new double[nMels];
        double[] logMel = new double[nMels * frames]; // (nMels, frames)
        double max = computed < paddedFrames ? Math.log10(LOG_FLOOR) : Double.NEGATIVE_INFINITY;

        // Two real frames per complex FFT: frame t in the real part, frame t + 1 in the imaginary.
        for (int t = 0; t < computed; t += 2) {
            // 1. Windowed frames centered at t * hop of the zero-padded, reflect-padded signal.
            window(samples, t, frameA);
            window(samples, t + 1, frameB);
            // 2. One complex FFT, split into the two power spectra (bins 0..n_fft/2).
            fft.transform(frameA, frameB, specRe, specIm);
            for (int k = 0; k < powerA.length; k++) {
                int mirror = (nFft - k) % nFft;
                double evenRe = 0.5 * (specRe[k] + specRe[mirror]);
                double evenIm = 0.5 * (specIm[k] - specIm[mirror]);
                double oddRe = 0.5 * (specIm[k] + specIm[mirror]);
                double oddIm = 0.5 * (specRe[k] - specRe[mirror]);
                powerA[k] = evenRe * evenRe + evenIm * evenIm;
                powerB[k] = oddRe * oddRe + oddIm * oddIm;
            }
            // 3. Mel filters, log10 with floor; track the max over all frames.
            max = Math.max(max, logMel(powerA, mel, logMel, t, frames));
            if (t + 1 < computed) {
                max = Math.max(max, logMel(powerB, mel, logMel, t + 1, frames));
            }
        }

        // 4. Dynamic range clamp to max - 8, then scale (x + 4) / 4.
        double floor = max - 8.0;
        float[] out = new float[logMel.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((Math.max(logMel[i], floor) + 4.0) / 4.0);
        }
        return new MelFeatures(out, nMels, frames);
    }

    /** Writes frame {@code t} times the window into {@code out}. */
    private void window(float[] samples, int t, double[] out) {
        int start = t * hop - nFft / 2;
        if (start >= 0 && start + nFft <= samples.length) {
            for (int j = 0; j < nFft; j++) {
                out[j] = samples[start + j] * window[j];
            }
        } else {
            for (int j = 0; j < nFft; j++) {
                out[j] = sampleAt(samples, start + j) * window[j];
            }
        }
    }

    /** Mel energies of one power spectrum into column {@code t}; returns their max log value. */
    private double logMel(double[] power, double[] mel, double[] logMel, int t, int frames) {
        filters.apply(power, mel);
        double max = Double.NEGATIVE_INFINITY;
        for (int m = 0; m < mel.length; m++) {
            double v = Math.log10(Math.max(mel[m], LOG_FLOOR));
            max = Math.max(max, v);
            if (t < frames) {
                logMel[m * frames + t] = v;
            }
        }
        return max;
    }

    /** Sample {@code i} of the audio zero-padded to maxSamples, then reflect-padded by n_fft/2. */
    private double sampleAt(float[] samples, int i) {
        if (i < 0) {
            i = -i;
        } else if (i >= maxSamples) {
            i = 2 * (maxSamples - 1) - i;
        }
        return i < samples.length ? samples[i] : 0.0;
    }
}
