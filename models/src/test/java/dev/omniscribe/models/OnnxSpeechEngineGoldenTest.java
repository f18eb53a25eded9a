package dev.omniscribe.models;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Greedy token ids of the engine on the tiny model (fp32 and AWQ int4 folders, repetition penalty
 * 1.0 and 1.1) against transformers' {@code generate} (golden.json): identical, token for token,
 * single and left-padded batched, with the generation loop in the graph ({@code generate.onnx}) and
 * in Java ({@code decoder.onnx} step by step). Every request gives the goldens' own prompt ({@link
 * Golden#withGoldenPrompt}), so the model folder's default prompt may change.
 */
class OnnxSpeechEngineGoldenTest {

    private static final TinyEngines ENGINES = new TinyEngines();
    private static final List<DecodeLoop> LOOPS = List.of(DecodeLoop.GRAPH, DecodeLoop.STEPS);

    @AfterAll
    static void closeEngines() {
        ENGINES.close();
    }

    static Stream<Arguments> singles() {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode f : Golden.fixtures()) {
            for (String kind : List.of("fp32", "int4")) {
                for (double p : penalties()) {
                    for (DecodeLoop loop : LOOPS) {
                        out.add(Arguments.of(kind, f.get("name").asText(), p, loop));
                    }
                }
            }
        }
        return out.stream();
    }

    static Stream<Arguments> batches() {
        List<Arguments> out = new ArrayList<>();
        for (String kind : List.of("fp32", "int4")) {
            for (double p : penalties()) {
                for (DecodeLoop loop : LOOPS) {
                    out.add(Arguments.of(kind, p, loop));
                }
            }
        }
        return out.stream();
    }

    private static List<Double> penalties() {
        List<Double> out = new ArrayList<>();
        Golden.json().get("generation").get("penalties").forEach(n -> out.add(n.asDouble()));
        return out;
    }

    private static GenerationOptions greedy(double penalty) {
        int max = Golden.json().get("generation").get("max_new_tokens").asInt();
        return Golden.withGoldenPrompt(
                GenerationOptions.greedy(max).withRepetitionPenalty(penalty));
    }

    private static String key(double penalty) {
        return "rp" + penalty;
    }

    /** Golden ids include the stop token; the engine reports it as the finish reason instead. */
    private static void assertSameAsReference(Transcription got, int[] want, String what) {
        int stop = Golden.json().get("tokens").get("im_end").asInt();
        boolean stopped = want.length > 0 && want[want.length - 1] == stop;
        int[] text = stopped ? Arrays.copyOf(want, want.length - 1) : want;
        assertThat(got.error()).as(what).isNull();
        assertThat(got.tokenIds()).as(what).containsExactly(text);
        assertThat(got.finishReason())
                .as(what)
                .isEqualTo(stopped ? FinishReason.STOP_TOKEN : FinishReason.MAX_TOKENS);
    }

    @ParameterizedTest(name = "{0} {1} penalty {2} loop {3}")
    @MethodSource("singles")
    void greedyIdsEqualTheReferenceForOneSegment(
            String kind, String name, double penalty, DecodeLoop loop) {
        JsonNode f = Golden.fixture(name);
        int[] want = Golden.ints(f.get("outputs").get(kind).get(key(penalty)).get("ids"));

        Transcription got =
                ENGINES.get(kind, loop)
                        .transcribe(
                                new GenerationRequest(TinyEngines.audio(name), greedy(penalty)));

        assertSameAsReference(got, want, kind + " " + name + " rp" + penalty + " " + loop);
        assertThat(got.promptTokens()).isEqualTo(f.get("prompt_ids").size());
    }

    @ParameterizedTest(name = "{0} penalty {1} loop {2}")
    @MethodSource("batches")
    void greedyIdsOfALeftPaddedBatchEqualTheReferenceAndTheSingleRuns(
            String kind, double penalty, DecodeLoop loop) {
        JsonNode batch = Golden.json().get("batch");
        List<GenerationRequest> requests = new ArrayList<>();
        List<String> names = new ArrayList<>();
        batch.get("fixtures").forEach(n -> names.add(n.asText()));
        for (String n : names) {
            requests.add(new GenerationRequest(TinyEngines.audio(n), greedy(penalty)));
        }

        List<Transcription> got = ENGINES.get(kind, loop).transcribe(requests);

        JsonNode want = batch.get("outputs").get(kind).get(key(penalty)).get("ids");
        assertThat(got).hasSize(names.size());
        for (int i = 0; i < names.size(); i++) {
            String what =
                    kind + " " + loop + " batch row " + i + " (" + names.get(i) + ") rp" + penalty;
            assertSameAsReference(got.get(i), Golden.ints(want.get(i)), what);
            int[] single =
                    Golden.ints(
                            Golden.fixture(names.get(i))
                                    .get("outputs")
                                    .get(kind)
                                    .get(key(penalty))
                                    .get("ids"));
            assertSameAsReference(got.get(i), single, what + " vs single");
        }
    }

    @ParameterizedTest(name = "{0} loop {1}")
    @MethodSource("kindsAndLoops")
    void aBatchOverTheLimitRunsInGroupsWithTheSameIds(String kind, DecodeLoop loop) {
        JsonNode batch = Golden.json().get("batch");
        List<String> names = new ArrayList<>();
        batch.get("fixtures").forEach(n -> names.add(n.asText()));
        List<GenerationRequest> requests = new ArrayList<>();
        for (String n : names) {
            requests.add(new GenerationRequest(TinyEngines.audio(n), greedy(1.0)));
        }
        // A limit that fits two rows of the longest prompt: the batch runs in several groups.
        OnnxSpeechEngine whole = ENGINES.get(kind, loop);
        int[] lengths = requests.stream().mapToInt(r -> whole.prompt(r).length()).toArray();
        int heads = whole.spec().decoder().numAttentionHeads();
        long longest = Arrays.stream(lengths).max().orElseThrow();
        BatchLimit limit = new BatchLimit(2 * heads * longest * longest);
        assertThat(limit.groupSizes(heads, lengths)).hasSizeGreaterThan(1);

        try (OnnxSpeechEngine split =
                OnnxSpeechEngine.load(
                        new EngineConfig(Golden.modelDir(kind), -1, 2), loop, true, limit)) {
            List<Transcription> got = split.transcribe(requests);

            JsonNode want = batch.get("outputs").get(kind).get(key(1.0)).get("ids");
            for (int i = 0; i < names.size(); i++) {
                assertSameAsReference(
                        got.get(i), Golden.ints(want.get(i)), kind + " " + loop + " row " + i);
            }
        }
    }

    static Stream<Arguments> kindsAndLoops() {
        List<Arguments> out = new ArrayList<>();
        for (String kind : List.of("fp32", "int4")) {
            for (DecodeLoop loop : LOOPS) {
                out.add(Arguments.of(kind, loop));
            }
        }
        return out.stream();
    }
}
