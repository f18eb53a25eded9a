package dev.omniscribe.udfs.audio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The header of a RIFF/WAVE file that holds integer PCM or IEEE float samples, read in the JVM.
 *
 * <p>Short uploads to the service are mostly such files, and starting ffprobe and ffmpeg costs
 * about 85 ms of CPU per file, several times the engine's own work on a short clip. With this
 * header the service checks such an upload without ffprobe, and {@link AudioDecoder} reads 16 kHz
 * 16-bit files straight from disk, giving exactly the samples ffmpeg would.
 *
 * <p>Only clean headers are taken: a data chunk whose declared size runs past the end of the file,
 * or is 0 or {@code 0xFFFFFFFF} (written by recorders that never went back to fill it in), RF64,
 * compressed codecs and anything unusual read as empty, and those files go to ffmpeg as before.
 *
 * @param codec ffmpeg's name for the samples: {@code pcm_u8}, {@code pcm_s16le}, {@code pcm_s24le},
 *     {@code pcm_s32le}, {@code pcm_f32le} or {@code pcm_f64le}
 * @param channels interleaved channels
 * @param sampleRateHz samples per second per channel
 * @param bitsPerSample bits of one sample of one channel
 * @param dataOffset byte offset of the first sample in the file
 * @param dataBytes bytes of samples, whole frames only
 */
public record WavFormat(
        String codec,
        int channels,
        int sampleRateHz,
        int bitsPerSample,
        long dataOffset,
        long dataBytes) {

    private static final int PCM = 1;
    private static final int FLOAT = 3;
    private static final int EXTENSIBLE = 0xFFFE;

    /** Chunks read before giving up on finding {@code fmt } and {@code data}. */
    private static final int MAX_CHUNKS = 64;

    /** Bytes of one frame (one sample of every channel). */
    public int frameBytes() {
        return channels * bitsPerSample / 8;
    }

    /** Frames (samples per channel) in the file. */
    public long frames() {
        return dataBytes / frameBytes();
    }

    /** Length in seconds. */
    public double durationS() {
        return (double) frames() / sampleRateHz;
    }

    /**
     * Whether the samples are 16-bit integers at {@code rateHz}: what the engine's front end reads.
     */
    public boolean isS16At(int rateHz) {
        return "pcm_s16le".equals(codec) && sampleRateHz == rateHz;
    }

    /**
     * A 16-bit PCM WAV file of {@code channels} (equal lengths, samples in [-1, 1], clamped),
     * interleaved, with a plain 44-byte header: the format {@link #read} and every player read.
     */
    public static byte[] encode16(int rateHz, float[]... channels) {
        int n = channels[0].length;
        int ch = channels.length;
        ByteBuffer b = ByteBuffer.allocate(44 + n * ch * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(tag("RIFF")).putInt(36 + n * ch * 2).putInt(tag("WAVE"));
        b.putInt(tag("fmt ")).putInt(16).putShort((short) PCM).putShort((short) ch);
        b.putInt(rateHz).putInt(rateHz * ch * 2).putShort((short) (ch * 2)).putShort((short) 16);
        b.putInt(tag("data")).putInt(n * ch * 2);
        for (int i = 0; i < n; i++) {
            for (float[] d : channels) {
                float v = Math.max(-1f, Math.min(1f, d[i]));
                b.putShort((short) Math.round(v * 32767));
            }
        }
        return b.array();
    }

    /**
     * Reads the header of {@code file}.
     *
     * @return the format, or empty when the file is not a WAVE file this class reads (ffmpeg may
     *     still read it)
     * @throws IOException when the file cannot be read at all
     */
    public static Optional<WavFormat> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty(); // a named pipe must not lose the bytes read here
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer riff = readAt(ch, 0, 12);
            if (riff == null || riff.getInt(0) != tag("RIFF") || riff.getInt(8) != tag("WAVE")) {
                return Optional.empty();
            }
            ByteBuffer fmt = null;
            long pos = 12;
            for (int i = 0; i < MAX_CHUNKS; i++) {
                ByteBuffer head = readAt(ch, pos, 8);
                if (head == null) {
                    return Optional.empty();
                }
                int id = head.getInt(0);
                long length = Integer.toUnsignedLong(head.getInt(4));
                long body = pos + 8;
                if (id == tag("fmt ")) {
                    if (length < 16 || length > 64) {
                        return Optional.empty();
                    }
                    fmt = readAt(ch, body, (int) length);
                } else if (id == tag("data")) {
                    if (fmt == null
                            || length == 0
                            || length == 0xFFFFFFFFL
                            || body + length > size) {
                        return Optional.empty();
                    }
                    return describe(fmt, body, length);
                }
                pos = body + length + (length & 1); // chunks are padded to even lengths
                if (pos >= size) {
                    return Optional.empty();
                }
            }
            return Optional.empty();
        }
    }

    private static Optional<WavFormat> describe(ByteBuffer fmt, long dataOffset, long dataLength) {
        int format = Short.toUnsignedInt(fmt.getShort(0));
        int channels = Short.toUnsignedInt(fmt.getShort(2));
        int rate = fmt.getInt(4);
        int blockAlign = Short.toUnsignedInt(fmt.getShort(12));
        int bits = Short.toUnsignedInt(fmt.getShort(14));
        if (format == EXTENSIBLE) {
            // cbSize, valid bits, channel mask, then the sub-format GUID whose first two bytes
            // are the format code.
            if (fmt.capacity() < 40 || Short.toUnsignedInt(fmt.getShort(18)) != bits) {
                return Optional.empty();
            }
            format = Short.toUnsignedInt(fmt.getShort(24));
        }
        String codec = codec(format, bits);
        if (codec == null
                || channels < 1
                || rate < 1
                || blockAlign != channels * bits / 8
                || dataLength < blockAlign) {
            return Optional.empty();
        }
        long whole = dataLength - dataLength % blockAlign;
        return Optional.of(new WavFormat(codec, channels, rate, bits, dataOffset, whole));
    }

    private static String codec(int format, int bits) {
        if (format == PCM) {
            return switch (bits) {
                case 8 -> "pcm_u8";
                case 16 -> "pcm_s16le";
                case 24 -> "pcm_s24le";
                case 32 -> "pcm_s32le";
                default -> null;
            };
        }
        if (format == FLOAT) {
            return switch (bits) {
                case 32 -> "pcm_f32le";
                case 64 -> "pcm_f64le";
                default -> null;
            };
        }
        return null;
    }

    private static ByteBuffer readAt(FileChannel ch, long pos, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                return null;
            }
        }
        return b;
    }

    private static int tag(String fourCc) {
        return (fourCc.charAt(0) & 0xFF)
                | (fourCc.charAt(1) & 0xFF) << 8
                | (fourCc.charAt(2) & 0xFF) << 16
                | (fourCc.charAt(3) & 0xFF) << 24;
    }
}
