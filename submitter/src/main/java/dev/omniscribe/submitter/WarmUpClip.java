package dev.omniscribe.submitter;

import dev.omniscribe.udfs.audio.WavFormat;

/**
 * The clip the service sends through its job at start ({@code --preload}): three seconds of a tone
 * whose pitch slides like a voice's (300 ± 200 Hz), which speech detection passes, as a 16 kHz mono
 * 16-bit WAV.
 */
final class WarmUpClip {

    static final int RATE = 16_000;
    static final double SECONDS = 3;

    private WarmUpClip() {}

    static byte[] wav() {
        float[] samples = new float[(int) (RATE * SECONDS)];
        for (int i = 0; i < samples.length; i++) {
            double t = (double) i / RATE;
            double pitch = 300 + 200 * Math.sin(2 * Math.PI * t);
            samples[i] = (float) (0.4 * Math.sin(2 * Math.PI * pitch * t));
        }
        return WavFormat.encode16(RATE, samples);
    }
}
