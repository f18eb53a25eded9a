package dev.omniscribe.udfs.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextCleanerTest {

    @Test
    void stripsTheAssistantMarkerTheOldServiceStripped() {
        assertThat(TextCleaner.clean("<|im_start|>assistant\n今天天气很好。<|im_end|>"))
                .isEqualTo("今天天气很好。");
    }

    @Test
    void stripsAnyLeftoverSpecialToken() {
        assertThat(TextCleaner.clean("Hello<|endoftext|> there<|AUDIO|>")).isEqualTo("Hello there");
    }

    @Test
    void stripsTheClosingPleasantriesInSimplifiedAndTraditionalCharacters() {
        assertThat(TextCleaner.clean("会议到此结束。如果你还有其他关于音频转写或者内容理解的问题，欢迎随时问我。")).isEqualTo("会议到此结束。");
        assertThat(TextCleaner.clean("會議到此結束。如果你還有其他關於這方面的問題，可以繼續問我！")).isEqualTo("會議到此結束。");
        assertThat(TextCleaner.clean("好的。如果你还有其他关于这方面的问题")).isEqualTo("好的。");
    }

    @Test
    void keepsOrdinaryTextAndTheWordAssistantInIt() {
        assertThat(TextCleaner.clean("  The assistant said hello.\n"))
                .isEqualTo("The assistant said hello.");
        assertThat(TextCleaner.clean("如果你还有问题，请举手。")).isEqualTo("如果你还有问题，请举手。");
    }

    @Test
    void openCcConvertsBetweenScripts() {
        assertThat(ChineseConversion.S2T.apply("语音识别")).isEqualTo("語音識別");
        assertThat(ChineseConversion.T2S.apply("語音識別")).isEqualTo("语音识别");
        assertThat(ChineseConversion.NONE.apply("语音识别")).isEqualTo("语音识别");
        assertThat(ChineseConversion.parse("s2tw")).isEqualTo(ChineseConversion.S2TW);
    }
}
