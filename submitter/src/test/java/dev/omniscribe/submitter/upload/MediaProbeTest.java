package dev.omniscribe.submitter.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omniscribe.udfs.audio.FfmpegBinaries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** WAV headers read in the JVM describe a file as ffprobe does. */
class MediaProbeTest {

    @TempDir Path dir;

    private final Path ffprobe = FfmpegBinaries.bundled().ffprobe();
    private final MediaProbe withHeaders = new MediaProbe(ffprobe);
    private final MediaProbe ffprobeOnly = new MediaProbe(ffprobe, false);

    @ParameterizedTest(name = "{0} at {1} Hz, {2} channels")
    @CsvSource({
        "pcm_s16le, 16000, 1",
        "pcm_s16le, 44100, 2",
        "pcm_u8, 8000, 1",
        "pcm_s24le, 48000, 2",
        "pcm_s32le, 22050, 1",
        "pcm_f32le, 16000, 6",
        "pcm_f64le, 32000, 1",
    })
    void aWavHeaderSaysWhatFfprobeSays(String codec, int rate, int channels) throws Exception {
        Path file = dir.resolve(codec + rate + ".wav");
        ffmpeg(
                "-filter_complex",
                "sine=frequency=440:sample_rate=" + rate + ":duration=1.37",
                "-ac",
                Integer.toString(channels),
                "-c:a",
                codec,
                file.toString());

        MediaProbe.AudioInfo mine = withHeaders.probe(file);
        MediaProbe.AudioInfo theirs = ffprobeOnly.probe(file);

        assertThat(mine.formatName()).isEqualTo(theirs.formatName()).isEqualTo("wav");
        assertThat(mine.codec()).isEqualTo(theirs.codec()).isEqualTo(codec);
        assertThat(mine.sampleRateHz()).isEqualTo(theirs.sampleRateHz()).isEqualTo(rate);
        assertThat(mine.channels()).isEqualTo(theirs.channels()).isEqualTo(channels);
        assertThat(mine.durationS())
                .isCloseTo(theirs.durationS(), org.assertj.core.data.Offset.offset(0.001));
    }

    @Test
    void aWavWithoutSamplesStillGoesToFfprobeAndIsRefused() throws Exception {
        Path file = dir.resolve("empty.wav");
        ffmpeg(
                "-filter_complex",
                "anullsrc=r=16000:cl=mono",
                "-t",
                "0",
                "-c:a",
                "pcm_s16le",
                file.toString());

        assertThatThrownBy(() -> withHeaders.probe(file))
                .isInstanceOf(MediaProbe.NotAudioException.class);
    }

    private static void ffmpeg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(FfmpegBinaries.bundled().ffmpeg().toString());
        cmd.addAll(List.of("-v", "error", "-y", "-nostdin"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(Files.size(Path.of(args[args.length - 1]))).isPositive();
    }
}
