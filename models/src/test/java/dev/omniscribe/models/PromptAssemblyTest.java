package dev.omniscribe.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omniscribe.models.text.ChatTemplate;
import dev.omniscribe.models.text.Prompt;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * How the engine builds a request's prompt from the tiny model folder's {@code model.json: prompt}
 * (Qwen2.5-Omni's speech recognition layout: the instruction before the audio): the instruction for
 * no language, for a given language, with context, and a whole instruction of the request's own.
 */
class PromptAssemblyTest {

    private static final TinyEngines ENGINES = new TinyEngines();
    private static final float[] AUDIO = new float[16_000];
    private static final String SYSTEM = "You are a speech recognition model.";

    @AfterAll
    static void closeEngines() {
        ENGINES.close();
    }

    private static String text(GenerationOptions options) {
        return ENGINES.get("fp32").prompt(new GenerationRequest(AUDIO, options)).text();
    }

    private static String userTurn(String beforeAudio, String afterAudio) {
        return ChatTemplate.render(SYSTEM, beforeAudio, afterAudio);
    }

    @Test
    void theFolderInstructionStandsBeforeTheAudioAsQwenDocumentsIt() {
        ModelSpec.DefaultPrompt folder = ENGINES.get("fp32").spec().defaultPrompt();
        assertThat(folder.instructionFirst()).isTrue();
        assertThat(text(GenerationOptions.greedy(4)))
                .isEqualTo(userTurn("Transcribe the audio into text.", ""))
                .contains(
                        "<|im_start|>user\nTranscribe the audio into text.<|audio_bos|><|AUDIO|>"
                                + "<|audio_eos|><|im_end|>");
    }

    @Test
    void aGivenLanguageIsNamedInTheInstruction() {
        assertThat(text(GenerationOptions.greedy(4).withLanguage("en")))
                .isEqualTo(userTurn("Transcribe the English audio into text.", ""));
        assertThat(text(GenerationOptions.greedy(4).withLanguage("FR")))
                .isEqualTo(userTurn("Transcribe the French audio into text.", ""));
        // Qwen's cookbook words the Chinese instruction in Chinese.
        assertThat(text(GenerationOptions.greedy(4).withLanguage("zh")))
                .isEqualTo(userTurn("请将这段中文语音转换为纯文本。", ""));
    }

    @Test
    void contextComesBeforeTheInstructionWhichStays() {
        String got =
                text(
                        GenerationOptions.greedy(4)
                                .withLanguage("de")
                                .withContext("Omniscribe, Qwen, Flink"));
        assertThat(got)
                .isEqualTo(
                        userTurn(
                                "Context (earlier text, names and terms that may occur in the"
                                        + " audio): Omniscribe, Qwen, Flink\n"
                                        + "Transcribe the German audio into text.",
                                ""));
    }

    @Test
    void aWholeInstructionOfTheRequestReplacesTheFolderOne() {
        GenerationOptions own =
                GenerationOptions.greedy(4).withLanguage("en").withPrompts("Sys.", "Write it.");
        assertThat(text(own)).isEqualTo(ChatTemplate.render("Sys.", "Write it.", ""));
        GenerationOptions marked =
                GenerationOptions.greedy(4).withPrompts(null, "Listen:{audio}Now write it.");
        assertThat(text(marked)).isEqualTo(userTurn("Listen:", "Now write it."));
    }

    @Test
    void promptIdsHoldTheAudioWhereTheTextPutsIt() {
        OnnxSpeechEngine e = ENGINES.get("fp32");
        Prompt before = e.prompt(new GenerationRequest(AUDIO, GenerationOptions.greedy(4)));
        Prompt after =
                e.prompt(
                        new GenerationRequest(
                                AUDIO, Golden.withGoldenPrompt(GenerationOptions.greedy(4))));
        assertThat(before.audioTokens()).isEqualTo(after.audioTokens()).isPositive();
        assertThat(before.audioStart()).isGreaterThan(after.audioStart());
        int audioId = e.spec().tokens().audio();
        assertThat(before.ids()[before.audioStart()]).isEqualTo(audioId);
        assertThat(before.ids()[before.audioStart() - 1]).isEqualTo(e.spec().tokens().audioBos());
    }

    @Test
    void theEngineTranscribesWithALanguageAndContext() {
        List<Transcription> got =
                ENGINES.get("fp32")
                        .transcribe(
                                List.of(
                                        new GenerationRequest(
                                                TinyEngines.audio("en_1s5"),
                                                GenerationOptions.greedy(4).withLanguage("en")),
                                        new GenerationRequest(
                                                TinyEngines.audio("en_1s5"),
                                                GenerationOptions.greedy(4)
                                                        .withContext("earlier words"))));
        assertThat(got).allSatisfy(t -> assertThat(t.error()).isNull());
        assertThat(got.get(1).promptTokens()).isGreaterThan(got.get(0).promptTokens());
    }

    @Test
    void languagesAreIsoCodes() {
        assertThat(Languages.code(" EN ")).isEqualTo("en");
        assertThat(Languages.englishName("ja")).isEqualTo("Japanese");
        assertThatThrownBy(() -> GenerationOptions.greedy(1).withLanguage("english"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ISO 639-1");
        assertThatThrownBy(() -> Languages.code("iw")).hasMessageContaining("'iw'");
        assertThat(Languages.fromAnswer("en")).isEqualTo("en");
        assertThat(Languages.fromAnswer(" \"ZH\". ")).isEqualTo("zh");
        assertThat(Languages.fromAnswer("English")).isEqualTo(Languages.UNKNOWN);
        assertThat(Languages.fromAnswer("xx")).isEqualTo(Languages.UNKNOWN);
        assertThat(Languages.fromAnswer("")).isEqualTo(Languages.UNKNOWN);
        assertThat(Languages.fromAnswer(null)).isEqualTo(Languages.UNKNOWN);
        assertThat(Languages.fromAnswer("en, fr")).isEqualTo(Languages.UNKNOWN);
    }
}
