package dev.omniscribe.udfs.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Random;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WAV files read without ffmpeg give exactly the samples ffmpeg gives, or go to ffmpeg. */
class WavReadTest {

    @TempDir java.nio.file.Path dir;

    private final AudioDecoder direct = new AudioDecoder(FfmpegBinaries.bundled());
    private final AudioDecoder ffmpeg = new AudioDecoder(FfmpegBinaries.bundled(), false);

    @Test
    void monoAt16kHzIsReadDirectlyAsFfmpegReadsIt() throws Exception {
        java.nio.file.Path file = write("mono.wav", wav(1, 16_000, 16, samples(1, 16_003)));

        assertSameAsFfmpeg(file, false, true);
        assertThat(WavFormat.read(file).orElseThrow())
                .isEqualTo(new WavFormat("pcm_s16le", 1, 16_000, 16, 44, 16_003 * 2));
    }

    @Test
    void whatEncode16WritesReadsBackAsFfmpegReadsIt() throws Exception {
        float[] left = {0f, 0.5f, -1f, 2f};
        float[] right = {1f, -0.5f, 0.25f, -2f};
        java.nio.file.Path file = write("encoded.wav", WavFormat.encode16(16_000, left, right));

        assertThat(WavFormat.read(file).orElseThrow())
                .isEqualTo(new WavFormat("pcm_s16le", 2, 16_000, 16, 44, 16));
        assertSameAsFfmpeg(file, true, true);
        assertThat(java.util.Arrays.copyOfRange(Files.readAllBytes(file), 44, 52))
                .isEqualTo(pcmBytes(new short[] {0, 32767, 16384, -16383}));
    }

    @Test
    void stereoIsMixedAsFfmpegMixesIt() throws Exception {
        // Extremes too: the mix must round and never overflow as ffmpeg's does.
        short[] pcm = samples(2, 8_000);
        pcm[0] = Short.MAX_VALUE;
        pcm[1] = Short.MAX_VALUE;
        pcm[2] = Short.MIN_VALUE;
        pcm[3] = Short.MIN_VALUE;
        pcm[4] = -3;
        pcm[5] = 0;
        java.nio.file.Path file = write("stereo.wav", wav(2, 16_000, 16, pcm));

        assertSameAsFfmpeg(file, false, true);
        assertSameAsFfmpeg(file, true, true);
    }

    @Test
    void otherChunksExtensibleHeadersAndAPartialLastFrameAreHandledAsFfmpegDoes() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(ascii("RIFF"));
        b.writeBytes(le32(0)); // ffmpeg ignores the RIFF size; so does the reader
        b.writeBytes(ascii("WAVE"));
        chunk(b, "LIST", ascii("INFOISFT\u0005\u0000\u0000\u0000test\u0000"));
        ByteBuffer fmt = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        fmt.putShort((short) 0xFFFE).putShort((short) 2).putInt(16_000).putInt(64_000);
        fmt.putShort((short) 4).putShort((short) 16).putShort((short) 22).putShort((short) 16);
        fmt.putInt(3).putShort((short) 1); // front left and right; PCM
        fmt.put(new byte[] {0, 0, 0, 0, 0x10, 0, (byte) 0x80, 0, 0, (byte) 0xAA, 0, 0x38});
        fmt.put(new byte[] {(byte) 0x9B, 0x71});
        chunk(b, "fmt ", fmt.array());
        byte[] data = pcmBytes(samples(2, 4_000));
        byte[] partial = new byte[data.length + 2]; // half a frame at the end
        System.arraycopy(data, 0, partial, 0, data.length);
        chunk(b, "data", partial);
        chunk(b, "id3 ", new byte[] {1, 2, 3});
        java.nio.file.Path file = write("extensible.wav", b.toByteArray());

        assertSameAsFfmpeg(file, false, true);
        assertThat(WavFormat.read(file).orElseThrow().frames()).isEqualTo(4_000);
    }

    @Test
    void otherRatesDepthsAndDamagedHeadersGoToFfmpeg() throws Exception {
        java.nio.file.Path rate = write("44k.wav", wav(1, 44_100, 16, samples(1, 4_410)));
        assertSameAsFfmpeg(rate, false, false);
        assertThat(WavFormat.read(rate).orElseThrow().durationS()).isEqualTo(0.1);

        byte[] whole = wav(1, 16_000, 16, samples(1, 16_000));
        java.nio.file.Path cut = write("cut.wav", java.util.Arrays.copyOf(whole, 20_000));
        assertThat(WavFormat.read(cut)).isEmpty(); // data runs past the end of the file
        assertSameAsFfmpeg(cut, false, false);

        byte[] float32 = wav(1, 16_000, 32, samples(1, 1_000));
        float32[20] = 3; // format code 3: IEEE float
        java.nio.file.Path f = write("float.wav", float32);
        assertThat(WavFormat.read(f).orElseThrow().codec()).isEqualTo("pcm_f32le");
        assertSameAsFfmpeg(f, false, false);

        java.nio.file.Path mp3 = write("not.wav", ascii("ID3\u0004 not a wave file at all"));
        assertThat(WavFormat.read(mp3)).isEmpty();
    }

    @Test
    void aFileCutWhileBeingReadFailsWithItsName() throws Exception {
        java.nio.file.Path file = write("cut-later.wav", wav(1, 16_000, 16, samples(1, 160_000)));
        Path path = new Path(file.toUri());
        try (AudioDecoder.Session s = direct.open(path, path.getFileSystem(), false)) {
            assertThat(s.readsDirectly()).isTrue();
            try (java.nio.channels.FileChannel ch =
                    java.nio.channels.FileChannel.open(
                            file, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(100_000);
            }
            assertThatThrownBy(() -> s.pcm().readAllBytes())
                    .isInstanceOf(java.io.EOFException.class)
                    .hasMessageContaining("cut-later.wav");
        }
    }

    private void assertSameAsFfmpeg(java.nio.file.Path file, boolean split, boolean readDirectly)
            throws Exception {
        Path path = new Path(file.toUri());
        FileSystem fs = path.getFileSystem();
        byte[] mine;
        int channels;
        try (AudioDecoder.Session s = direct.open(path, fs, split)) {
            assertThat(s.readsDirectly()).as("read without ffmpeg").isEqualTo(readDirectly);
            mine = s.pcm().readAllBytes();
            channels = s.channels();
            s.awaitSuccess();
        }
        try (AudioDecoder.Session s = ffmpeg.open(path, fs, split)) {
            assertThat(s.readsDirectly()).isFalse();
            byte[] theirs = s.pcm().readAllBytes();
            s.awaitSuccess();
            assertThat(channels).isEqualTo(s.channels());
            assertThat(mine).hasSize(theirs.length).isEqualTo(theirs);
        }
    }

    private java.nio.file.Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static short[] samples(int channels, int frames) {
        Random random = new Random(channels * 31L + frames);
        short[] s = new short[channels * frames];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) random.nextInt();
        }
        return s;
    }

    private static byte[] pcmBytes(short[] pcm) {
        ByteBuffer b = ByteBuffer.allocate(pcm.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : pcm) {
            b.putShort(v);
        }
        return b.array();
    }

    /** A plain 44-byte-header WAV; 32 bits writes each 16-bit sample twice as one 32-bit value. */
    private static byte[] wav(int channels, int rate, int bits, short[] pcm) {
        byte[] data = pcmBytes(pcm);
        if (bits == 32) {
            ByteBuffer wide = ByteBuffer.allocate(pcm.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (short v : pcm) {
                wide.putFloat(v / 32768f);
            }
            data = wide.array();
        }
        int block = channels * bits / 8;
        ByteBuffer b = ByteBuffer.allocate(44 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii("RIFF")).putInt(36 + data.length).put(ascii("WAVE"));
        b.put(ascii("fmt ")).putInt(16).putShort((short) 1).putShort((short) channels);
        b.putInt(rate).putInt(rate * block).putShort((short) block).putShort((short) bits);
        b.put(ascii("data")).putInt(data.length).put(data);
        return b.array();
    }

    private static void chunk(ByteArrayOutputStream b, String id, byte[] body) {
        b.writeBytes(ascii(id));
        b.writeBytes(le32(body.length));
        b.writeBytes(body);
        if (body.length % 2 == 1) {
            b.write(0);
        }
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
