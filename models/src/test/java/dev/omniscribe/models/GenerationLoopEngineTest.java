package dev.omniscribe.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generation loop inside the graph ({@code generate.onnx}) against the step-by-step loop in
 * Java ({@code decoder.onnx}) on the tiny model, beyond the golden greedy runs.
 */
class GenerationLoopEngineTest {

    private static final TinyEngines ENGINES = new TinyEngines();

    @AfterAll
    static void closeEngines() {
        ENGINES.close();
    }

    @Test
    void foldersWithAGenerateGraphRunTheLoopInTheGraphUnlessStepsAreForced() {
        assertThat(ENGINES.get("fp32").generatesInGraph()).isTrue();
        assertThat(ENGINES.get("int4", DecodeLoop.GRAPH).generatesInGraph()).isTrue();
        assertThat(ENGINES.get("fp32", DecodeLoop.STEPS).generatesInGraph()).isFalse();
    }

    @Test
    void aFolderWithOnlyTheGenerateGraphTranscribesAsTheFullFolder(@TempDir Path dir)
            throws IOException {
        ModelSpecTest.writeModelJsonWithGraphs(dir, ModelSpec.GENERATE);
        Path full = Golden.modelDir("fp32");
        for (String f : List.of("generate.onnx", "tokenizer.json")) {
            Files.copy(full.resolve(f), dir.resolve(f));
        }
        GenerationRequest r =
                new GenerationRequest(TinyEngines.audio("zh_4s"), GenerationOptions.greedy(12));
        try (OnnxSpeechEngine e = OnnxSpeechEngine.load(new EngineConfig(dir, -1, 0))) {
            assertThat(e.generatesInGraph()).isTrue();
            assertThat(e.transcribe(r).tokenIds())
                    .containsExactly(ENGINES.get("fp32").transcribe(r).tokenIds());
        }
        assertThatThrownBy(
                        () ->
                                OnnxSpeechEngine.load(
                                        new EngineConfig(dir, -1, 0), DecodeLoop.STEPS, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("audio_encoder");
    }

    @Test
    void aMixedBatchOfBudgetsAndPenaltiesGivesTheSameGreedyIdsOnBothPaths() {
        List<GenerationRequest> requests = new ArrayList<>();
        String[] names = {"en_1s5", "zh_4s", "en_9s", "zh_4s"};
        int[] budgets = {3, 24, 7, 1};
        double[] penalties = {1.0, 1.1, 1.3, 1.1};
        for (int i = 0; i < names.length; i++) {
            requests.add(
                    new GenerationRequest(
                            TinyEngines.audio(names[i]),
                            GenerationOptions.greedy(budgets[i])
                                    .withRepetitionPenalty(penalties[i])));
        }
        for (String kind : List.of("fp32", "int4")) {
            List<Transcription> graph = ENGINES.get(kind, DecodeLoop.GRAPH).transcribe(requests);
            List<Transcription> steps = ENGINES.get(kind, DecodeLoop.STEPS).transcribe(requests);
            for (int i = 0; i < names.length; i++) {
                String what = kind + " row " + i;
                assertThat(graph.get(i).error()).as(what).isNull();
                assertThat(graph.get(i).tokenIds())
                        .as(what)
                        .containsExactly(steps.get(i).tokenIds());
                assertThat(graph.get(i).finishReason())
                        .as(what)
                        .isEqualTo(steps.get(i).finishReason());
                assertThat(graph.get(i).tokenIds().length).as(what).isLessThanOrEqualTo(budgets[i]);
            }
        }
    }

    @Test
    void aBatchWhoseLargestBudgetIsOneTokenRunsNoDecodeStepAndGivesThePrefillToken() {
        List<GenerationRequest> requests =
                List.of(
                        new GenerationRequest(
                                TinyEngines.audio("en_1s5"), GenerationOptions.greedy(1)),
                        new GenerationRequest(
                                TinyEngines.audio("zh_4s"), GenerationOptions.greedy(1)));
        List<Transcription> graph = ENGINES.get("int4", DecodeLoop.GRAPH).transcribe(requests);
        List<Transcription> steps = ENGINES.get("int4", DecodeLoop.STEPS).transcribe(requests);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(graph.get(i).error()).as("row " + i).isNull();
            assertThat(graph.get(i).tokenIds())
                    .as("row " + i)
                    .hasSize(1)
                    .containsExactly(steps.get(i).tokenIds());
        }
    }

    @Test
    void withoutStopIdsEverySegmentRunsToItsBudgetOnBothPaths() {
        // en_1s5 stops at <|im_end|> within 40 tokens with the goldens' prompt
        GenerationRequest r =
                new GenerationRequest(
                        TinyEngines.audio("en_1s5"),
                        Golden.withGoldenPrompt(GenerationOptions.greedy(40)));
        try (OnnxSpeechEngine graph =
                        OnnxSpeechEngine.load(
                                new EngineConfig(Golden.modelDir("fp32"), -1, 0),
                                DecodeLoop.GRAPH,
                                false);
                OnnxSpeechEngine steps =
                        OnnxSpeechEngine.load(
                                new EngineConfig(Golden.modelDir("fp32"), -1, 0),
                                DecodeLoop.STEPS,
                                false)) {
            Transcription a = graph.transcribe(r);
            Transcription b = steps.transcribe(r);
            assertThat(a.tokenIds()).hasSize(40).containsExactly(b.tokenIds());
            assertThat(a.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
            assertThat(ENGINES.get("fp32").transcribe(r).finishReason())
                    .isEqualTo(FinishReason.STOP_TOKEN);
        }
    }

    @Test
    void samplingInTheGraphDrawsTheSameIdsAsTheStepLoopFromTheSameSeed() {
        // Both take the 50 most likely ids in the same order and the same uniform draws per seed;
        // the graph finds them in two passes over groups of ids (tiny vocabulary: 64 per group).
        List<GenerationRequest> requests =
                List.of(
                        new GenerationRequest(
                                TinyEngines.audio("en_9s"),
                                GenerationOptions.greedy(16).withTemperature(2.0).withSeed(7)),
                        new GenerationRequest(
                                TinyEngines.audio("zh_4s"),
                                GenerationOptions.greedy(12)
                                        .withTemperature(0.7)
                                        .withSeed(3)
                                        .withRepetitionPenalty(1.2)),
                        new GenerationRequest(
                                TinyEngines.audio("en_1s5"), GenerationOptions.greedy(9)));
        List<Transcription> graph = ENGINES.get("fp32", DecodeLoop.GRAPH).transcribe(requests);
        List<Transcription> steps = ENGINES.get("fp32", DecodeLoop.STEPS).transcribe(requests);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(graph.get(i).error()).as("row " + i).isNull();
            assertThat(graph.get(i).tokenIds())
                    .as("row " + i)
                    .isNotEmpty()
                    .containsExactly(steps.get(i).tokenIds());
        }
        assertThat(graph.get(0).tokenIds())
                .isNotEqualTo(
                        ENGINES.get("fp32", DecodeLoop.GRAPH)
                                .transcribe(
                                        new GenerationRequest(
                                                TinyEngines.audio("en_9s"),
                                                GenerationOptions.greedy(16)))
                                .tokenIds());
    }

    @Test
    void samplingInTheGraphIsReproducibleBySeed() {
        OnnxSpeechEngine e = ENGINES.get("int4", DecodeLoop.GRAPH);
        GenerationOptions sampled = GenerationOptions.greedy(16).withTemperature(2.0).withSeed(7);
        List<GenerationRequest> batch =
                List.of(
                        new GenerationRequest(TinyEngines.audio("en_9s"), sampled),
                        new GenerationRequest(
                                TinyEngines.audio("zh_4s"), GenerationOptions.greedy(8)),
                        new GenerationRequest(TinyEngines.audio("en_9s"), sampled.withSeed(8)));

        List<Transcription> a = e.transcribe(batch);
        List<Transcription> b = e.transcribe(batch);

        for (int i = 0; i < batch.size(); i++) {
            assertThat(b.get(i).tokenIds()).as("row " + i).containsExactly(a.get(i).tokenIds());
        }
        assertThat(a.get(2).tokenIds()).isNotEqualTo(a.get(0).tokenIds());
    }
}
