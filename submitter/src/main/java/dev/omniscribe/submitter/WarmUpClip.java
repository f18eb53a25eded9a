package dev.omniscribe.submitter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

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
        int n = (int) (RATE * SECONDS);
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + 2 * n);
        b.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16);
        b.putShort((short) 1).putShort((short) 1).putInt(RATE).putInt(2 * RATE);
        b.putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(2 * n);
        for (int i = 0; i < n; i++) {
            double t = (double) i / RATE;
            double pitch = 300 + 200 * Math.sin(2 * Math.PI * t);
            b.putShort((short) Math.round(0.4 * 32767 * Math.sin(2 * Math.PI * pitch * t)));
        }
        return b.array();
    }
}
