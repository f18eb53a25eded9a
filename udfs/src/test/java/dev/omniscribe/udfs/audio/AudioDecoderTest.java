package dev.omniscribe.udfs.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AudioDecoderTest {

    @TempDir java.nio.file.Path dir;

    private AudioDecoder decoder;

    @BeforeEach
    void startDecoder() throws IOException {
        decoder = new AudioDecoder(FfmpegBinaries.bundled());
    }

    private long decodedSamples(java.nio.file.Path file) throws Exception {
        try (AudioDecoder.Session s = decoder.open(new Path(file.toUri()))) {
            InputStream pcm = s.pcm();
            byte[] buf = new byte[8192];
            long bytes = 0;
            int n;
            while ((n = pcm.read(buf)) >= 0) {
                bytes += n;
            }
            s.awaitSuccess();
            return bytes / 2;
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "stereo44k.wav, 44100, 2, -c:a pcm_s16le",
        "stereo44k.mp3, 44100, 2, -c:a libmp3lame -b:a 64k",
        "mono8k.flac, 8000, 1, -c:a flac",
        "stereo48k.ogg, 48000, 2, -c:a libopus -b:a 48k",
        "stereo48k.opus, 48000, 2, -c:a libopus -b:a 32k",
        "stereo44k.m4a, 44100, 2, -c:a aac -b:a 64k",
        "mono22k.wav, 22050, 1, -c:a pcm_u8",
        "stereo48k.webm, 48000, 2, -c:a libopus",
        "stereo44k.mkv, 44100, 2, -c:a flac",
    })
    void decodesAnyCodecAndLayoutTo16kHzMono(String name, int rate, int channels, String codec)
            throws Exception {
        java.nio.file.Path file =
                AudioFixtures.write(
                        dir.resolve(name), Pattern.SPEECH, 5.0, rate, channels, codec.split(" "));
        assertThat(AudioFixtures.probeLayout(file)).isEqualTo(rate + "," + channels);

        long samples = decodedSamples(file);

        // Within 100 ms of 5 s: encoders add priming samples or pad to whole frames.
        assertThat(samples).isBetween(5 * 16_000L - 1_600, 5 * 16_000L + 1_600);
    }

    @Test
    void decodesTheAudioTrackOfAVideo() throws Exception {
        java.nio.file.Path audio =
                AudioFixtures.write(dir.resolve("a.wav"), Pattern.TONES, 3.0, 44_100, 2);
        java.nio.file.Path video = AudioFixtures.videoOnly(dir.resolve("v.mp4"), 3.0);
        java.nio.file.Path both = dir.resolve("both.mp4");
        new ProcessBuilder(
                        FfmpegBinaries.bundled().ffmpeg().toString(),
                        "-loglevel",
                        "error",
                        "-i",
                        video.toString(),
                        "-i",
                        audio.toString(),
                        "-c:v",
                        "copy",
                        "-c:a",
                        "aac",
                        both.toString())
                .inheritIO()
                .start()
                .waitFor();

        assertThat(decodedSamples(both)).isBetween(47_000L, 49_000L);
    }

    @Test
    void anEmptyFileFailsWithFfmpegsReason() throws Exception {
        java.nio.file.Path empty = Files.createFile(dir.resolve("empty.wav"));

        assertThatThrownBy(() -> decodedSamples(empty))
                .isInstanceOf(DecodeException.class)
                .hasMessageContaining("empty.wav");
    }

    @Test
    void aTextFileNamedMp3Fails() throws Exception {
        java.nio.file.Path text = AudioFixtures.textNamed(dir.resolve("notes.mp3"));

        assertThatThrownBy(() -> decodedSamples(text))
                .isInstanceOf(DecodeException.class)
                .hasMessageContaining("notes.mp3");
    }

    @Test
    void aVideoWithoutAudioFails() throws Exception {
        java.nio.file.Path video = AudioFixtures.videoOnly(dir.resolve("silent-film.mp4"), 2.0);

        assertThatThrownBy(() -> decodedSamples(video))
                .isInstanceOf(DecodeException.class)
                .hasMessageContaining("matches no streams");
    }

    @Test
    void closingEarlyStopsFfmpeg() throws Exception {
        java.nio.file.Path file =
                AudioFixtures.write(dir.resolve("long.flac"), Pattern.TONES, 120.0, 16_000, 1);
        long started = System.nanoTime();
        try (AudioDecoder.Session s = decoder.open(new Path(file.toUri()))) {
            assertThat(s.pcm().readNBytes(1000)).hasSize(1000);
        }
        // Did not wait for the whole file to decode into a full pipe.
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(10_000);
    }

    @Test
    void bundledBinariesAreExtractedOncePerJvm() throws IOException {
        FfmpegBinaries a = FfmpegBinaries.bundled();
        FfmpegBinaries b = FfmpegBinaries.resolve(null);

        assertThat(a).isSameAs(b);
        assertThat(Files.isExecutable(a.ffmpeg())).isTrue();
        assertThat(Files.isExecutable(a.ffprobe())).isTrue();
    }

    @Test
    void aConfiguredFolderWithoutFfmpegIsRefusedClearly() {
        assertThatThrownBy(() -> FfmpegBinaries.resolve(dir.toString()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no executable ffmpeg");
    }

    @Test
    void aFourHourStreamDecodesAndSegmentsInBoundedMemory() throws Exception {
        // ffmpeg writes four hours of WAV into a named pipe; nothing of it is ever on disk.
        java.nio.file.Path fifo = dir.resolve("four-hours.wav");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        Process writer =
                new ProcessBuilder(
                                FfmpegBinaries.bundled().ffmpeg().toString(),
                                "-loglevel",
                                "error",
                                "-nostdin",
                                "-y",
                                "-filter_complex",
                                "sine=frequency=300:sample_rate=16000:duration=14400",
                                "-f",
                                "wav",
                                fifo.toString())
                        .redirectErrorStream(true)
                        .start();
        long[] samples = {0};
        int[] segments = {0};
        long[] largest = {0};
        Segmenter segmenter =
                new Segmenter(
                        new dev.omniscribe.udfs.SegmentationSettings(
                                30_000,
                                false,
                                dev.omniscribe.udfs.SegmentationSettings.Channels.MIXED),
                        seg -> {
                            segments[0]++;
                            samples[0] += seg.pcm().length / 2;
                            largest[0] = Math.max(largest[0], seg.pcm().length);
                        });
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        long heapPeak = 0;
        try (AudioDecoder.Session s = decoder.open(new Path(fifo.toUri()))) {
            byte[] buf = new byte[1 << 16];
            int n;
            long chunks = 0;
            while ((n = s.pcm().read(buf)) >= 0) {
                segmenter.accept(buf, 0, n);
                if (++chunks % 2048 == 0) {
                    heapPeak = Math.max(heapPeak, rt.totalMemory() - rt.freeMemory());
                }
            }
            s.awaitSuccess();
        }
        segmenter.finish();
        assertThat(writer.waitFor()).isZero();

        assertThat(samples[0]).isEqualTo(4L * 3600 * 16_000);
        assertThat(segments[0]).isEqualTo(480);
        assertThat(largest[0]).isLessThanOrEqualTo(30L * 16_000 * 2);
        // 460 MB of PCM went through; the heap never held more than a few segments of it.
        System.gc();
        assertThat(rt.totalMemory() - rt.freeMemory() - heapBefore).isLessThan(64L << 20);
        assertThat(heapPeak).isLessThan(heapBefore + (256L << 20));
    }
}
