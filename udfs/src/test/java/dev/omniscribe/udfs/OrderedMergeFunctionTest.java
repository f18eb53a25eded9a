package dev.omniscribe.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OrderedMergeFunctionTest {

    private KeyedOneInputStreamOperatorTestHarness<String, TranscribedSegment, FileTranscript>
            harness;

    @BeforeEach
    void open() throws Exception {
        harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new OrderedMergeFunction()),
                        TranscribedSegment::fileId,
                        Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static TranscribedSegment segment(String file, int index, boolean last, String text) {
        return new TranscribedSegment(
                "file:/in/" + file,
                file,
                1234,
                index,
                index * 30_000L,
                (index + 1) * 30_000L,
                last,
                text,
                text.length(),
                "tiny",
                null,
                null,
                TinyModel.options(30_000, TinyModel.greedy(1)),
                null,
                Finish.STOP,
                null,
                0,
                new SpeechRegion[] {new SpeechRegion(index * 30_000L, (index + 1) * 30_000L)});
    }

    private static TranscribedSegment failed(String file, int index, boolean last, String stage) {
        return new TranscribedSegment(
                "file:/in/" + file,
                file,
                1234,
                index,
                index * 30_000L,
                (index + 1) * 30_000L,
                last,
                "",
                0,
                null,
                stage,
                "boom",
                TinyModel.options(30_000, TinyModel.greedy(1)),
                null,
                Finish.STOP,
                null,
                0,
                new SpeechRegion[0]);
    }

    private static List<String> texts(FileTranscript t) {
        return java.util.Arrays.stream(t.segments()).map(TranscriptSegment::text).toList();
    }

    @Test
    void mergesSegmentsInIndexOrderWhenTheyArriveReversed() throws Exception {
        harness.processElement(segment("a.mp3", 2, true, "c"), 0);
        harness.processElement(segment("a.mp3", 1, false, "b"), 0);
        assertThat(harness.extractOutputValues()).isEmpty();
        harness.processElement(segment("a.mp3", 0, false, "a"), 0);

        List<FileTranscript> out = harness.extractOutputValues();
        assertThat(out).hasSize(1);
        FileTranscript t = out.get(0);
        assertThat(texts(t)).containsExactly("a", "b", "c");
        assertThat(t.durationMs()).isEqualTo(90_000);
        assertThat(t.model()).isEqualTo("tiny");
        assertThat(t.tokens()).isEqualTo(3);
        assertThat(t.failed()).isFalse();
    }

    @Test
    void emitsNothingUntilTheLastSegmentIsKnown() throws Exception {
        harness.processElement(segment("a.mp3", 0, false, "a"), 0);
        harness.processElement(segment("a.mp3", 1, false, "b"), 0);

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isPositive();
    }

    @Test
    void clearsAllStateOfAFileOnceItIsEmitted() throws Exception {
        harness.processElement(segment("a.mp3", 1, true, "b"), 0);
        harness.processElement(segment("b.mp3", 0, true, "x"), 0);
        harness.processElement(segment("a.mp3", 0, false, "a"), 0);

        assertThat(harness.extractOutputValues()).hasSize(2);
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void keepsInterleavedFilesApart() throws Exception {
        harness.processElement(segment("a.mp3", 1, true, "a1"), 0);
        harness.processElement(segment("b.mp3", 1, false, "b1"), 0);
        harness.processElement(segment("b.mp3", 0, false, "b0"), 0);
        harness.processElement(segment("a.mp3", 0, false, "a0"), 0);
        harness.processElement(segment("b.mp3", 2, true, "b2"), 0);

        List<FileTranscript> out = harness.extractOutputValues();
        assertThat(out).extracting(FileTranscript::relativePath).containsExactly("a.mp3", "b.mp3");
        assertThat(texts(out.get(0))).containsExactly("a0", "a1");
        assertThat(texts(out.get(1))).containsExactly("b0", "b1", "b2");
    }

    @Test
    void aReplayedSegmentCountsOnce() throws Exception {
        harness.processElement(segment("a.mp3", 0, false, "a"), 0);
        harness.processElement(segment("a.mp3", 0, false, "a"), 0);
        harness.processElement(segment("a.mp3", 2, true, "c"), 0);
        assertThat(harness.extractOutputValues()).isEmpty();

        harness.processElement(segment("a.mp3", 1, false, "b"), 0);
        assertThat(texts(harness.extractOutputValues().get(0))).containsExactly("a", "b", "c");
    }

    @Test
    void aDecodeFailureAfterSomeSegmentsFailsTheFileAndClearsItsState() throws Exception {
        harness.processElement(segment("a.mp3", 0, false, "a"), 0);
        harness.processElement(failed("a.mp3", 2, true, "decode"), 0);
        harness.processElement(segment("a.mp3", 1, false, "b"), 0);

        FileTranscript t = harness.extractOutputValues().get(0);
        assertThat(t.failed()).isTrue();
        assertThat(t.failedStage()).isEqualTo("decode");
        assertThat(t.error()).isEqualTo("boom");
        assertThat(t.segments()).isEmpty();
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void aFailedSegmentFailsTheFileOnlyOnceAllSegmentsAreIn() throws Exception {
        harness.processElement(failed("a.mp3", 0, false, "transcribe"), 0);
        assertThat(harness.extractOutputValues()).isEmpty();
        harness.processElement(segment("a.mp3", 1, true, "b"), 0);

        FileTranscript t = harness.extractOutputValues().get(0);
        assertThat(t.failedStage()).isEqualTo("transcribe");
        assertThat(harness.numKeyedStateEntries()).isZero();
    }
}
