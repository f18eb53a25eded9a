package dev.omniscribe.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failure paths, sampling and the engine's contract on the tiny fp32 model. */
class OnnxSpeechEngineTest {

    private static final TinyEngines ENGINES = new TinyEngines();

    @AfterAll
    static void closeEngines() {
        ENGINES.close();
    }

    private static OnnxSpeechEngine engine() {
        return ENGINES.get("fp32");
    }

    @Test
    void audioLongerThanTheModelMaximumIsAnErrorResultAndTheRestOfTheBatchIsUnaffected() {
        OnnxSpeechEngine e = engine();
        GenerationOptions greedy = GenerationOptions.greedy(8);
        float[] speech = TinyEngines.audio("en_1s5");
        float[] tooLong = new float[e.spec().audio().maxSamples() + 1];

        List<Transcription> batch =
                e.transcribe(
                        List.of(
                                new GenerationRequest(speech, greedy),
                                new GenerationRequest(tooLong, greedy),
                                new GenerationRequest(new float[0], greedy),
                                new GenerationRequest(speech, greedy)));
        Transcription alone = e.transcribe(new GenerationRequest(speech, greedy));

        assertThat(batch.get(1).finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(batch.get(1).error()).contains("300 s").contains("longer");
        assertThat(batch.get(1).tokenIds()).isEmpty();
        assertThat(batch.get(2).finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(batch.get(2).error()).contains("no audio");
        for (int i : new int[] {0, 3}) {
            assertThat(batch.get(i).failed()).isFalse();
            assertThat(batch.get(i).tokenIds()).containsExactly(alone.tokenIds());
            assertThat(batch.get(i).text()).isEqualTo(alone.text());
        }
    }

    @Test
    void audioOfExactlyTheMaximumLengthIsAccepted() {
        OnnxSpeechEngine e = engine();
        float[] x = new float[e.spec().audio().maxSamples()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.05 * Math.sin(i * 0.03));
        }
        Transcription t = e.transcribe(new GenerationRequest(x, GenerationOptions.greedy(2)));
        assertThat(t.failed()).as(t.error()).isFalse();
        assertThat(t.promptTokens()).isGreaterThan(7500); // 25 audio tokens per second
    }

    @Test
    void missingModelFolderIsAClearIllegalArgumentException(@TempDir Path dir) {
        assertThatThrownBy(
                        () -> OnnxSpeechEngine.load(new EngineConfig(dir.resolve("nope"), -1, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.json")
                .hasMessageContaining("nope");
    }

    @Test
    void modelFolderWithoutItsGraphsIsAClearIllegalArgumentException(@TempDir Path dir)
            throws IOException {
        Path model = Golden.modelDir("fp32");
        Files.copy(model.resolve("model.json"), dir.resolve("model.json"));
        Files.copy(model.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        assertThatThrownBy(() -> OnnxSpeechEngine.load(new EngineConfig(dir, -1, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(".onnx");
    }

    @Test
    void samplingWithTheSameSeedIsReproducibleAndOtherSeedsDiffer() {
        OnnxSpeechEngine e = engine();
        float[] speech = TinyEngines.audio("zh_4s");
        GenerationOptions sampled = GenerationOptions.greedy(16).withTemperature(2.0).withSeed(42);

        Transcription a = e.transcribe(new GenerationRequest(speech, sampled));
        Transcription b = e.transcribe(new GenerationRequest(speech, sampled));
        // another seed may draw the same few tokens by chance; some of five others must not
        List<int[]> others = new java.util.ArrayList<>();
        for (long seed = 43; seed < 48; seed++) {
            others.add(
                    e.transcribe(new GenerationRequest(speech, sampled.withSeed(seed))).tokenIds());
        }
        Transcription greedy =
                e.transcribe(new GenerationRequest(speech, GenerationOptions.greedy(16)));

        assertThat(a.failed()).isFalse();
        assertThat(b.tokenIds()).containsExactly(a.tokenIds());
        assertThat(others).anyMatch(ids -> !java.util.Arrays.equals(ids, a.tokenIds()));
        assertThat(others).anyMatch(ids -> !java.util.Arrays.equals(ids, greedy.tokenIds()));
    }

    @Test
    void maxNewTokensBoundsTheOutputAndReportsMaxTokens() {
        Transcription t =
                engine().transcribe(
                                new GenerationRequest(
                                        TinyEngines.audio("en_9s"), GenerationOptions.greedy(3)));
        assertThat(t.tokenIds()).hasSize(3);
        assertThat(t.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
    }

    @Test
    void aRequestedGpuThatIsNotUsableFallsBackToTheCpuInsteadOfFailing() {
        // CUDA device 63 exists on no host this runs on (with or without GPUs, with or without
        // the CUDA libraries): the engine runs on the CPU, with one log line.
        try (OnnxSpeechEngine e =
                OnnxSpeechEngine.load(new EngineConfig(Golden.modelDir("fp32"), 63, 1))) {
            Transcription t =
                    e.transcribe(
                            new GenerationRequest(
                                    TinyEngines.audio("en_1s5"), GenerationOptions.greedy(4)));
            assertThat(t.failed()).as(t.error()).isFalse();
            assertThat(e.device()).isEqualTo("CPU");
        }
    }

    @Test
    void concurrentCallsGiveTheSameResultsAsSequentialOnes() throws Exception {
        OnnxSpeechEngine e = engine();
        List<String> names = List.of("en_1s5", "zh_4s", "en_9s", "en_1s5");
        List<int[]> sequential = new java.util.ArrayList<>();
        for (String n : names) {
            sequential.add(
                    e.transcribe(
                                    new GenerationRequest(
                                            TinyEngines.audio(n), GenerationOptions.greedy(12)))
                            .tokenIds());
        }
        java.util.concurrent.ExecutorService pool =
                java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Transcription>> futures = new java.util.ArrayList<>();
            for (String n : names) {
                futures.add(
                        pool.submit(
                                () ->
                                        e.transcribe(
                                                new GenerationRequest(
                                                        TinyEngines.audio(n),
                                                        GenerationOptions.greedy(12)))));
            }
            for (int i = 0; i < names.size(); i++) {
                assertThat(futures.get(i).get().tokenIds()).containsExactly(sequential.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void emptyBatchGivesNoResults() {
        assertThat(engine().transcribe(List.of())).isEmpty();
    }

    @Test
    void reportsTheModelNameFromModelJson() {
        assertThat(engine().modelName()).isEqualTo(engine().spec().modelName()).isNotBlank();
    }
}
