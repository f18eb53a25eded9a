package dev.omniscribe.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.FinishReason;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.Languages;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.models.Transcription;
import dev.omniscribe.models.audio.WavReader;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.Provenance;
import dev.omniscribe.udfs.guard.OutputGuard;
import dev.omniscribe.udfs.guard.RepetitionLoop;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The guard around the engine on the tiny model, which loops on its own (greedy on the 35 s golden
 * clip it repeats one token until any budget runs out): budgets that follow the duration, loops cut
 * and retried, both flagged in the JSON; and the language asked on a file's first segment.
 */
class OutputGuardTest {

    private static final Path GOLDEN_AUDIO = Path.of("..", "models", "tiny", "golden", "audio");

    private static OnnxSpeechEngine engine;

    @BeforeAll
    static void load() {
        engine = OnnxSpeechEngine.load(new EngineConfig(TinyModel.dir(), -1, 1));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** Greedy with the old service's repetition penalty, no language: what loops on en_35s. */
    private static GenerationOptions greedy(int maxNewTokens) {
        return GenerationOptions.greedy(maxNewTokens).withRepetitionPenalty(1.1);
    }

    private static float[] audio(String name) throws Exception {
        return WavReader.read(GOLDEN_AUDIO.resolve(name + ".wav"), SegmentRecord.SAMPLE_RATE);
    }

    private static SegmentRecord segment(
            String name, int index, boolean last, float[] samples, GenerationOptions g) {
        byte[] pcm = new byte[samples.length * 2];
        for (int i = 0; i < samples.length; i++) {
            int v = Math.round(samples[i] * 32768f);
            v = Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, v));
            pcm[2 * i] = (byte) v;
            pcm[2 * i + 1] = (byte) (v >> 8);
        }
        long ms = samples.length * 1000L / SegmentRecord.SAMPLE_RATE;
        return new SegmentRecord(
                "file:/in/" + name,
                name,
                pcm.length,
                index,
                0,
                ms,
                pcm,
                last,
                null,
                TinyModel.options(300_000, g),
                0,
                null);
    }

    /** The task's metric group, handing out one operator group that keeps its metrics. */
    private static final class Metrics extends InterceptingTaskMetricGroup {
        // The job's metrics sit in one group below the operator's: intercepted there too.
        final InterceptingOperatorMetricGroup operator =
                new InterceptingOperatorMetricGroup() {
                    @Override
                    public org.apache.flink.metrics.MetricGroup addGroup(String name) {
                        return this;
                    }
                };

        @Override
        public InternalOperatorMetricGroup getOrAddOperator(
                OperatorID id, String name, Map<String, String> variables) {
            return operator;
        }

        long count(String counter) {
            return ((Counter) operator.get(counter)).getCount();
        }
    }

    private static List<TranscribedSegment> run(EngineSettings settings, SegmentRecord... in)
            throws Exception {
        return run(settings, new Metrics(), in);
    }

    private static List<TranscribedSegment> run(
            EngineSettings settings, Metrics metrics, SegmentRecord... in) throws Exception {
        try (MockEnvironment env = new MockEnvironmentBuilder().setMetricGroup(metrics).build();
                var h =
                        new OneInputStreamOperatorTestHarness<SegmentRecord, TranscribedSegment>(
                                new MicroBatchOperator<>(
                                        new TranscribeFunction(settings), in.length, 0),
                                env)) {
            h.open();
            for (SegmentRecord s : in) {
                h.processElement(s, 0);
            }
            h.endInput();
            return h.extractOutputValues();
        }
    }

    @Test
    void repetitionLoopsAreFoundWhereTheyStart() {
        int[] prefix = {178, 308, 866, 519};
        int[] loop554 =
                IntStream.concat(Arrays.stream(prefix), IntStream.generate(() -> 554))
                        .limit(prefix.length + 60)
                        .toArray();
        assertThat(RepetitionLoop.cutAt(loop554)).isEqualTo(prefix.length + 1);
        // a phrase of five tokens said four times in a row is a loop, three times is speech
        int[] phrase = {10, 11, 12, 13, 14};
        int[] four = IntStream.range(0, 20).map(i -> phrase[i % 5]).toArray();
        int[] three = IntStream.range(0, 15).map(i -> phrase[i % 5]).toArray();
        assertThat(RepetitionLoop.cutAt(four)).isEqualTo(5);
        assertThat(RepetitionLoop.cutAt(three)).isEqualTo(-1);
        // "no, no, no, no" and a short run of one token are speech
        assertThat(RepetitionLoop.cutAt(new int[] {1, 2, 7, 7, 7, 7, 7, 7, 3})).isEqualTo(-1);
        assertThat(RepetitionLoop.cutAt(IntStream.range(0, 500).toArray())).isEqualTo(-1);
        assertThat(RepetitionLoop.cutAt(new int[0])).isEqualTo(-1);
    }

    @Test
    void theBudgetFollowsTheDurationWithinMaxNewTokens() {
        OutputGuard g = OutputGuard.DEFAULT;
        assertThat(g.budget(30_000, 8192)).isEqualTo(12 * 30 + 32);
        assertThat(g.budget(1_500, 8192)).isEqualTo(18 + 32);
        assertThat(g.budget(30_000, 100)).isEqualTo(100);
        assertThat(OutputGuard.OFF.budget(30_000, 8192)).isEqualTo(8192);
        assertThat(OutputGuard.retryTemperature(0.1)).isEqualTo(0.6, within());
        assertThat(OutputGuard.retryTemperature(0.9)).isEqualTo(1.0, within());
        assertThatThrownBy(() -> new OutputGuard(-1, 0, true))
                .hasMessageContaining("tokens per second");
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-9);
    }

    @Test
    void aLoopingSegmentIsCutAtItsLoopRetriedAndFlagged() throws Exception {
        float[] samples = audio("en_35s");
        // What the engine does alone: the tiny model falls into a loop of one token (which it
        // leaves by itself after a couple of hundred tokens).
        Transcription raw = engine.transcribe(new GenerationRequest(samples, greedy(8192)));
        int budget = OutputGuard.DEFAULT.budget(samples.length / 16, 8192);
        assertThat(budget).isEqualTo(422 + 32); // 35.145 s × 12, rounded up
        int cut = RepetitionLoop.cutAt(raw.tokenIds());
        assertThat(cut).isPositive().isLessThan(60);

        Metrics metrics = new Metrics();
        List<TranscribedSegment> out =
                run(
                        TinyModel.engine(),
                        metrics,
                        segment("loop.wav", 0, true, samples, greedy(8192)));

        TranscribedSegment t = out.get(0);
        assertThat(t.failed()).isFalse();
        assertThat(t.finish()).isEqualTo(Finish.REPETITION);
        assertThat(t.retry()).isNotNull();
        // both attempts together stay within two budgets instead of running to 8192 each
        assertThat(t.tokens()).isLessThanOrEqualTo(2 * budget).isGreaterThan(cut);
        if (t.retry() != Finish.STOP) {
            // the retry looped too: the text is the first answer cut at the start of its loop
            assertThat(t.text())
                    .isEqualTo(engine.decode(Arrays.copyOf(raw.tokenIds(), cut)))
                    .isNotEqualTo(raw.text());
        }
        // the Flink counters
        assertThat(metrics.count(JobMetrics.SEGMENTS_REPETITION)).isEqualTo(1);
        assertThat(metrics.count(JobMetrics.SEGMENTS_MAX_TOKENS)).isZero();
        assertThat(metrics.count(JobMetrics.SEGMENT_RETRIES)).isEqualTo(1);
        assertThat(metrics.count(JobMetrics.SEGMENT_RETRIES_RECOVERED))
                .isEqualTo(t.retry() == Finish.STOP ? 1 : 0);
        assertThat(metrics.count(JobMetrics.LANGUAGE_DETECTIONS)).isEqualTo(1);
        assertThat(metrics.count(JobMetrics.LANGUAGES_UNKNOWN)).isEqualTo(1);
        assertThat(metrics.count(JobMetrics.TOKENS_GENERATED)).isEqualTo(t.tokens() + 4L);
        FileTranscript merged = OrderedMergeFunction.merge(out);
        String json =
                OutputFormat.JSON.render(
                        merged, Provenance.of(TinyModel.dir().toString(), merged.options()));
        assertThat(json)
                .contains("\"finish\" : \"repetition\"")
                .contains("\"retry\" : \"")
                .contains("\"language\" : \"unknown\"");
    }

    @Test
    void aSegmentThatHitsItsBudgetIsFlaggedAndRetried() throws Exception {
        float[] samples = audio("en_1s5");
        // Alone, the engine's answer to en_1s5 runs past the 1.5 s budget (18 + 32 tokens).
        Transcription raw = engine.transcribe(new GenerationRequest(samples, greedy(8192)));
        int budget = OutputGuard.DEFAULT.budget(samples.length / 16, 8192);
        assertThat(budget).isEqualTo(19 + 32); // 1.503 s × 12, rounded up
        assertThat(RepetitionLoop.cutAt(Arrays.copyOf(raw.tokenIds(), budget))).isEqualTo(-1);

        TranscribedSegment t =
                run(TinyModel.engine(), segment("long.wav", 1, true, samples, greedy(8192))).get(0);

        assertThat(t.finish()).isEqualTo(Finish.MAX_TOKENS);
        assertThat(t.retry()).isNotNull();
        assertThat(t.tokens()).isLessThanOrEqualTo(2 * budget).isGreaterThan(budget);
        if (t.retry() != Finish.STOP) {
            assertThat(t.text()).isEqualTo(engine.decode(Arrays.copyOf(raw.tokenIds(), budget)));
        }
        // not the first segment: no language asked
        assertThat(t.language()).isNull();
    }

    @Test
    void aSegmentStoppedByItsOwnMaxNewTokensIsFlaggedButNotRetried() throws Exception {
        float[] samples = audio("en_1s5");
        // 10 tokens asked for, under the 1.5 s budget of 51: the caller's limit, not a runaway.
        Transcription raw = engine.transcribe(new GenerationRequest(samples, greedy(10)));
        assertThat(raw.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        Metrics metrics = new Metrics();

        TranscribedSegment t =
                run(
                                TinyModel.engine(),
                                metrics,
                                segment("capped.wav", 1, true, samples, greedy(10)))
                        .get(0);

        assertThat(t.finish()).isEqualTo(Finish.MAX_TOKENS);
        assertThat(t.retry()).isNull();
        assertThat(t.tokens()).isEqualTo(10);
        assertThat(t.text()).isEqualTo(raw.text());
        assertThat(metrics.count(JobMetrics.SEGMENTS_MAX_TOKENS)).isEqualTo(1);
        assertThat(metrics.count(JobMetrics.SEGMENT_RETRIES)).isZero();
    }

    @Test
    void withTheGuardOffTheEngineOutputPassesUnchanged() throws Exception {
        float[] samples = audio("en_1s5");
        Transcription raw = engine.transcribe(new GenerationRequest(samples, greedy(30)));
        TranscribedSegment t =
                run(
                                TinyModel.engine().withGuard(OutputGuard.OFF),
                                segment("off.wav", 0, true, samples, greedy(30)))
                        .get(0);
        assertThat(raw.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(t.text()).isEqualTo(raw.text());
        assertThat(t.tokens()).isEqualTo(30);
        assertThat(t.finish()).isEqualTo(Finish.MAX_TOKENS);
        assertThat(t.retry()).isNull();
    }

    @Test
    void theLanguageIsAskedOnTheFirstSegmentAndAnAnswerThatIsNoCodeIsUnknown() throws Exception {
        float[] samples = audio("zh_4s");
        // The tiny model's answer to the language question is no language code.
        Transcription answer =
                engine.transcribe(
                        new GenerationRequest(
                                samples,
                                GenerationOptions.greedy(4)
                                        .withPrompts(null, engine.languageQuestion())));
        assertThat(answer.failed()).isFalse();
        assertThat(Languages.fromAnswer(answer.text())).isEqualTo(Languages.UNKNOWN);

        List<TranscribedSegment> out =
                run(
                        TinyModel.engine(),
                        segment("zh.wav", 0, false, samples, greedy(8)),
                        segment("zh.wav", 1, true, samples, greedy(8)));
        assertThat(out.get(0).language()).isEqualTo(Languages.UNKNOWN);
        assertThat(out.get(1).language()).isNull();
        // the question's row does not change the segment's own text
        assertThat(out.get(0).text()).isEqualTo(out.get(1).text());
        FileTranscript merged = OrderedMergeFunction.merge(out);
        assertThat(merged.language()).isEqualTo(Languages.UNKNOWN);
        assertThat(
                        OutputFormat.JSON.render(
                                merged,
                                Provenance.of(TinyModel.dir().toString(), merged.options())))
                .contains("\"language\" : \"unknown\"");

        // a given language is reported as given and no question is asked
        List<TranscribedSegment> given =
                run(
                        TinyModel.engine(),
                        segment("zh.wav", 0, true, samples, greedy(8).withLanguage("zh")));
        assertThat(given.get(0).language()).isNull();
        assertThat(OrderedMergeFunction.merge(given).language()).isEqualTo("zh");
    }
}
