package dev.omniscribe.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.udfs.AudioFixtures.Pattern;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodeAudioFunctionTest {

    @TempDir Path dir;

    private static List<SegmentRecord> decode(Path file, SegmentationSettings settings)
            throws Exception {
        AudioFile input =
                new AudioFile(
                        file.toUri().toString(), file.getFileName().toString(), Files.size(file));
        try (OneInputStreamOperatorTestHarness<AudioFile, SegmentRecord> h =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new DecodeAudioFunction(
                                TinyModel.options(settings.targetMs(), TinyModel.greedy(1)),
                                null))) {
            h.processElement(input, 0);
            return h.extractOutputValues();
        }
    }

    @Test
    void tenMinutesOfStereo44kHzFlacBecomeSegmentsThatTileTheFileAndEndAtPauses() throws Exception {
        Path mp3 =
                AudioFixtures.writeLong(
                        dir.resolve("lecture.flac"),
                        Pattern.SPEECH,
                        600,
                        44_100,
                        2,
                        "-c:a",
                        "flac");

        List<SegmentRecord> segments = decode(mp3, SegmentationSettings.DEFAULT);

        assertThat(segments.size()).isBetween(20, 30);
        long start = 0;
        for (int i = 0; i < segments.size(); i++) {
            SegmentRecord s = segments.get(i);
            assertThat(s.index()).isEqualTo(i);
            assertThat(s.startMs()).isEqualTo(start);
            assertThat(s.endMs() - s.startMs()).isLessThanOrEqualTo(30_000);
            assertThat(s.sampleCount()).isEqualTo((int) ((s.endMs() - s.startMs()) * 16));
            assertThat(s.last()).isEqualTo(i == segments.size() - 1);
            assertThat(s.failed()).isFalse();
            if (!s.last()) {
                // Pauses are 1.5 s long; the cut is near the middle of one.
                assertThat(Pattern.SPEECH.inPause(s.endMs(), 400))
                        .as("cut at %d ms", s.endMs())
                        .isTrue();
            }
            start = s.endMs();
        }
        assertThat(start).isEqualTo(600_000L);
    }

    @Test
    void anEmptyFileBecomesOneFailureRecord() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.mp3"));

        List<SegmentRecord> out = decode(empty, SegmentationSettings.DEFAULT);

        assertThat(out).hasSize(1);
        assertThat(out.get(0).failed()).isTrue();
        assertThat(out.get(0).last()).isTrue();
        assertThat(out.get(0).index()).isZero();
        assertThat(out.get(0).error()).contains("empty.mp3");
    }

    @Test
    void aTextFileNamedMp3BecomesOneFailureRecord() throws Exception {
        Path text = AudioFixtures.textNamed(dir.resolve("readme.mp3"));

        List<SegmentRecord> out = decode(text, SegmentationSettings.DEFAULT);

        assertThat(out).singleElement().satisfies(r -> assertThat(r.failed()).isTrue());
    }

    @Test
    void aTruncatedMp3DecodesTheAudioThatIsThere() throws Exception {
        Path whole =
                AudioFixtures.write(
                        dir.resolve("whole.mp3"),
                        Pattern.SPEECH,
                        40,
                        16_000,
                        1,
                        "-c:a",
                        "libmp3lame");
        Path cut = AudioFixtures.truncated(whole, dir.resolve("cut.mp3"), 0.5);

        List<SegmentRecord> out = decode(cut, SegmentationSettings.DEFAULT);

        SegmentRecord last = out.get(out.size() - 1);
        assertThat(last.failed()).isFalse();
        assertThat(last.last()).isTrue();
        assertThat(last.endMs()).isBetween(15_000L, 25_000L);
    }

    @Test
    void aTruncatedM4aWithoutItsIndexBecomesAFailureRecord() throws Exception {
        Path whole =
                AudioFixtures.write(
                        dir.resolve("whole.m4a"), Pattern.SPEECH, 20, 16_000, 1, "-c:a", "aac");
        Path cut = AudioFixtures.truncated(whole, dir.resolve("cut.m4a"), 0.5);

        List<SegmentRecord> out = decode(cut, SegmentationSettings.DEFAULT);

        SegmentRecord last = out.get(out.size() - 1);
        assertThat(last.failed()).isTrue();
        assertThat(last.last()).isTrue();
        assertThat(last.index()).isEqualTo(out.size() - 1);
    }
}
