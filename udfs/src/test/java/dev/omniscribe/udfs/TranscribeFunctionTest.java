package dev.omniscribe.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.models.Transcription;
import dev.omniscribe.udfs.guard.OutputGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TranscribeFunctionTest {

    @TempDir Path dir;

    private List<SegmentRecord> segmentsOf(Path file, long targetMs, GenerationOptions generation)
            throws Exception {
        AudioFile input = new AudioFile(file.toUri().toString(), "speech.wav", Files.size(file));
        try (var h =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new DecodeAudioFunction(TinyModel.options(targetMs, generation), null))) {
            h.processElement(input, 0);
            return h.extractOutputValues();
        }
    }

    @Test
    void batchedTranscriptsEqualTheEngineRunDirectlyOnEachSegment() throws Exception {
        Path wav = AudioFixtures.speechWav(dir.resolve("speech.wav"), 41);
        GenerationOptions greedy = TinyModel.greedy(6);
        List<SegmentRecord> segments = segmentsOf(wav, 10_000, greedy);
        assertThat(segments).hasSizeGreaterThanOrEqualTo(4);

        List<TranscribedSegment> out;
        try (OneInputStreamOperatorTestHarness<SegmentRecord, TranscribedSegment> h =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchOperator<>(
                                new TranscribeFunction(
                                        TinyModel.engine().withGuard(OutputGuard.OFF)),
                                3,
                                0))) {
            h.open();
            for (SegmentRecord s : segments) {
                h.processElement(s, 0);
            }
            h.endInput();
            out = h.extractOutputValues();
        }

        List<Transcription> direct = new ArrayList<>();
        try (OnnxSpeechEngine engine =
                OnnxSpeechEngine.load(new EngineConfig(TinyModel.dir(), -1, 1))) {
            for (SegmentRecord s : segments) {
                direct.add(engine.transcribe(new GenerationRequest(s.samples(), greedy)));
            }
            assertThat(out).hasSize(segments.size());
            for (int i = 0; i < segments.size(); i++) {
                TranscribedSegment t = out.get(i);
                assertThat(t.index()).isEqualTo(i);
                assertThat(t.failed()).isFalse();
                assertThat(t.startMs()).isEqualTo(segments.get(i).startMs());
                assertThat(t.endMs()).isEqualTo(segments.get(i).endMs());
                assertThat(t.last()).isEqualTo(segments.get(i).last());
                assertThat(t.text()).isEqualTo(direct.get(i).text());
                assertThat(t.tokens()).isEqualTo(direct.get(i).tokenIds().length);
                assertThat(t.model()).isEqualTo(engine.modelName());
            }
        }
    }

    @Test
    void decodeFailuresPassThroughWithoutReachingTheEngine() throws Exception {
        GenerationOptions greedy = TinyModel.greedy(2);
        AudioFile bad = new AudioFile("file:/in/bad.mp3", "bad.mp3", 10);
        List<TranscribedSegment> out;
        try (var h =
                new OneInputStreamOperatorTestHarness<SegmentRecord, TranscribedSegment>(
                        new MicroBatchOperator<>(
                                new TranscribeFunction(TinyModel.engine()), 4, 0))) {
            h.open();
            h.processElement(
                    SegmentRecord.failure(bad, TinyModel.options(10_000, greedy), 0, "not audio"),
                    0);
            h.endInput();
            out = h.extractOutputValues();
        }

        assertThat(out)
                .singleElement()
                .satisfies(
                        t -> {
                            assertThat(t.failedStage()).isEqualTo("decode");
                            assertThat(t.error()).isEqualTo("not audio");
                            assertThat(t.last()).isTrue();
                            assertThat(t.model()).isNull();
                        });
    }

    @Test
    void segmentsTheEngineRefusesBecomeTranscribeFailuresAndTheJobGoesOn() throws Exception {
        Path wav = AudioFixtures.speechWav(dir.resolve("speech.wav"), 12);
        // A prompt longer than the model's context (32768 tokens): the engine refuses each segment.
        GenerationOptions tooLong =
                new GenerationOptions(2, 0, 1.0, 0, null, "word ".repeat(40_000));
        List<SegmentRecord> segments = segmentsOf(wav, 10_000, tooLong);

        List<TranscribedSegment> out;
        try (var h =
                new OneInputStreamOperatorTestHarness<SegmentRecord, TranscribedSegment>(
                        new MicroBatchOperator<>(
                                new TranscribeFunction(TinyModel.engine()), 4, 0))) {
            h.open();
            for (SegmentRecord s : segments) {
                h.processElement(s, 0);
            }
            h.endInput();
            out = h.extractOutputValues();
        }

        assertThat(out).hasSize(segments.size());
        for (TranscribedSegment t : out) {
            assertThat(t.failedStage()).isEqualTo("transcribe");
            assertThat(t.error()).contains("context");
            assertThat(t.text()).isEmpty();
        }
        assertThat(OrderedMergeFunction.merge(out).failedStage()).isEqualTo("transcribe");
    }
}
