package dev.omniscribe.models.audio;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Reads mono 16-bit PCM WAV files at a fixed sampling rate. Resampling and down-mixing are the
 * pipeline's job; anything else is refused with a message that says what the file holds.
 */
public final class WavReader {

    private WavReader() {}

    /**
     * Reads a WAV file.
     *
     * @param file a RIFF/WAVE file, mono, signed 16-bit PCM
     * @param expectedRate the required sampling rate in Hz
     * @return samples scaled to [-1, 1) as {@code pcm / 32768}
     * @throws IOException if the file cannot be read or is not mono PCM16 at {@code expectedRate}
     */
    public static float[] read(Path file, int expectedRate) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file));
                AudioInputStream in = AudioSystem.getAudioInputStream(raw)) {
            AudioFormat f = in.getFormat();
            if (!AudioFormat.Encoding.PCM_SIGNED.equals(f.getEncoding())
                    || f.getSampleSizeInBits() != 16) {
                throw new IOException(
                        file
                                + ": need signed 16-bit PCM, got "
                                + f.getEncoding()
                                + " "
                                + f.getSampleSizeInBits()
                                + "-bit");
            }
            if (f.getChannels() != 1) {
                throw new IOException(
                        file
                                + ": need mono audio, got "
                                + f.getChannels()
                                + " channels (down-mix first)");
            }
            if (Math.round(f.getSampleRate()) != expectedRate) {
                throw new IOException(
                        file
                                + ": need "
                                + expectedRate
                                + " Hz, got "
                                + Math.round(f.getSampleRate())
                                + " Hz (resample first)");
            }
            byte[] bytes = in.readAllBytes();
            boolean big = f.isBigEndian();
            float[] out = new float[bytes.length / 2];
            for (int i = 0; i < out.length; i++) {
                int lo = bytes[2 * i + (big ? 1 : 0)] & 0xff;
                int hi = bytes[2 * i + (big ? 0 : 1)];
                out[i] = (short) ((hi << 8) | lo) / 32768f;
            }
            return out;
        } catch (UnsupportedAudioFileException e) {
            throw new IOException(file + ": not a WAV file this reader understands", e);
        }
    }
}
