package dev.omniscribe.udfs.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omniscribe.udfs.SegmentationSettings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SegmenterTest {

    private static final int RATE = Segmenter.SAMPLE_RATE;

    // s16le samples: tone bursts of soundSec, then silence, repeating every periodSec.
    private static byte[] bursts(double seconds, double periodSec, double soundSec) {
        int n = (int) Math.round(seconds * RATE);
        byte[] pcm = new byte[n * 2];
        for (int i = 0; i < n; i++) {
            double t = (double) i / RATE;
            double v = (t % periodSec) < soundSec ? 0.5 * Math.sin(2 * Math.PI * 300 * t) : 0;
            short s = (short) Math.round(v * 32767);
            pcm[2 * i] = (byte) s;
            pcm[2 * i + 1] = (byte) (s >> 8);
        }
        return pcm;
    }

    private static List<Segmenter.Segment> segment(byte[] pcm, long targetMs, int chunk) {
        List<Segmenter.Segment> out = new ArrayList<>();
        Segmenter s =
                new Segmenter(
                        new SegmentationSettings(
                                targetMs, false, SegmentationSettings.Channels.MIXED),
                        out::add);
        for (int off = 0; off < pcm.length; off += chunk) {
            s.accept(pcm, off, Math.min(chunk, pcm.length - off));
        }
        s.finish();
        return out;
    }

    @Test
    void segmentsTileTheInputExactlyWithNoGapOrOverlap() {
        byte[] pcm = bursts(95.37, 8, 6.5);
        List<Segmenter.Segment> segments = segment(pcm, 30_000, 4_097);

        long expectedStart = 0;
        int index = 0;
        for (Segmenter.Segment s : segments) {
            assertThat(s.index()).isEqualTo(index++);
            assertThat(s.startSample()).isEqualTo(expectedStart);
            expectedStart = s.endSample();
        }
        assertThat(expectedStart).isEqualTo(pcm.length / 2);
        // The concatenated segments are the input, byte for byte.
        byte[] joined = new byte[pcm.length];
        int off = 0;
        for (Segmenter.Segment s : segments) {
            System.arraycopy(s.pcm(), 0, joined, off, s.pcm().length);
            off += s.pcm().length;
        }
        assertThat(joined).isEqualTo(pcm);
    }

    @Test
    void cutsFallInTheMiddleOfPausesWithinTheSearchWindow() {
        // Pauses at [6.5, 8), [14.5, 16), [22.5, 24), ...; 30 s target searches the last 10 s.
        byte[] pcm = bursts(120, 8, 6.5);
        List<Segmenter.Segment> segments = segment(pcm, 30_000, 65_536);

        assertThat(segments.size()).isGreaterThan(3);
        for (Segmenter.Segment s : segments.subList(0, segments.size() - 1)) {
            double cut = s.endSample() / (double) RATE;
            double phase = cut % 8;
            assertThat(phase).as("cut at %.3f s", cut).isBetween(6.5 + 0.3, 8 - 0.3);
            assertThat(s.endMs() - s.startMs()).isBetween(20_000L, 30_000L);
        }
        // The first cut is the middle of the pause [22.5, 24).
        assertThat(segments.get(0).endMs()).isBetween(23_150L, 23_350L);
    }

    @Test
    void audioWithoutAnyPauseIsCutExactlyAtTheTarget() {
        byte[] pcm = bursts(100, 1000, 1000);
        List<Segmenter.Segment> segments = segment(pcm, 10_000, 10_000);

        // No pause anywhere: every segment but the last is exactly the target.
        for (Segmenter.Segment s : segments.subList(0, segments.size() - 1)) {
            assertThat(s.endMs() - s.startMs()).isEqualTo(10_000);
        }
        assertThat(segments.get(segments.size() - 1).endSample()).isEqualTo(pcm.length / 2);
    }

    @Test
    void cutsFallOnTenMillisecondBoundaries() {
        byte[] pcm = bursts(61.234, 5, 3.3);
        List<Segmenter.Segment> segments = segment(pcm, 12_000, 1_001);

        for (Segmenter.Segment s : segments.subList(0, segments.size() - 1)) {
            assertThat(s.endSample() % 160).isZero();
        }
        Segmenter.Segment last = segments.get(segments.size() - 1);
        assertThat(last.endMs()).isEqualTo(61_234);
    }

    @Test
    void audioShorterThanTheTargetIsOneSegment() {
        byte[] pcm = bursts(4.2, 8, 6.5);
        List<Segmenter.Segment> segments = segment(pcm, 30_000, 999);

        assertThat(segments).hasSize(1);
        assertThat(segments.get(0).startMs()).isZero();
        assertThat(segments.get(0).endMs()).isEqualTo(4_200);
    }

    @Test
    void noInputGivesNoSegment() {
        List<Segmenter.Segment> segments = segment(new byte[0], 30_000, 10);
        assertThat(segments).isEmpty();
    }

    @Test
    void fourHoursStreamThroughWithBoundedBuffering() {
        // 4 h of audio in 64 KiB chunks, generated on the fly: only the segments are kept, and
        // each is at most the target length.
        SegmentationSettings settings =
                new SegmentationSettings(30_000, false, SegmentationSettings.Channels.MIXED);
        long[] total = {0};
        int[] count = {0};
        long[] maxBytes = {0};
        Segmenter s =
                new Segmenter(
                        settings,
                        seg -> {
                            count[0]++;
                            total[0] += seg.pcm().length / 2;
                            maxBytes[0] = Math.max(maxBytes[0], seg.pcm().length);
                        });
        byte[] period = bursts(8, 8, 6.5);
        long hours4 = 4L * 3600 * RATE * 2;
        long fed = 0;
        while (fed < hours4) {
            s.accept(period, 0, period.length);
            fed += period.length;
        }
        s.finish();

        assertThat(total[0]).isEqualTo(fed / 2);
        assertThat(maxBytes[0]).isLessThanOrEqualTo(30L * RATE * 2);
        assertThat(count[0]).isBetween(480, 4 * 3600 / 20);
    }

    @Test
    void refusesSegmentsLongerThanTheModelReads() {
        assertThatThrownBy(
                        () ->
                                new SegmentationSettings(
                                        600_000, false, SegmentationSettings.Channels.MIXED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 300 s");
    }
}
