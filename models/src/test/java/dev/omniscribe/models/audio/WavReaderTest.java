package dev.omniscribe.models.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WavReaderTest {

    @TempDir Path dir;

    private Path write(String name, short[] pcm, float rate, int channels) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(pcm.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : pcm) {
            b.putShort(s);
        }
        AudioFormat f = new AudioFormat(rate, 16, channels, true, false);
        Path p = dir.resolve(name);
        try (AudioInputStream in =
                new AudioInputStream(
                        new ByteArrayInputStream(b.array()), f, pcm.length / channels)) {
            AudioSystem.write(in, AudioFileFormat.Type.WAVE, p.toFile());
        }
        return p;
    }

    @Test
    void readsMonoPcm16AsSamplesOver32768() throws IOException {
        Path p = write("a.wav", new short[] {0, 16384, -32768, 32767}, 16000, 1);
        assertThat(WavReader.read(p, 16000)).containsExactly(0f, 0.5f, -1f, 32767 / 32768f);
    }

    @Test
    void refusesOtherSamplingRatesNamingBoth() throws IOException {
        Path p = write("b.wav", new short[] {1, 2, 3}, 8000, 1);
        assertThatThrownBy(() -> WavReader.read(p, 16000))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("16000 Hz")
                .hasMessageContaining("8000 Hz");
    }

    @Test
    void refusesStereo() throws IOException {
        Path p = write("c.wav", new short[] {1, 2, 3, 4}, 16000, 2);
        assertThatThrownBy(() -> WavReader.read(p, 16000)).hasMessageContaining("mono");
    }

    @Test
    void refusesFilesThatAreNotWav() throws IOException {
        Path p = Files.writeString(dir.resolve("d.wav"), "not audio at all");
        assertThatThrownBy(() -> WavReader.read(p, 16000)).isInstanceOf(IOException.class);
    }
}
