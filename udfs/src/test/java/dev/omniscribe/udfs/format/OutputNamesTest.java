package dev.omniscribe.udfs.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OutputNamesTest {

    @Test
    void theDefaultKeepsTheInputsNameWithItsExtension() {
        assertThat(OutputNames.DEFAULT.apply("a/b/talk.mp3")).isEqualTo("a/b/talk.mp3");
        assertThat(
                        new OutputLayout("file:///out", List.of(OutputFormat.SRT))
                                .outputFor("a/talk.mp3", OutputFormat.SRT)
                                .toString())
                .isEqualTo("file:/out/a/talk.mp3.srt");
    }

    @Test
    void stemAndLanguageGiveTheNamesMediaServersExpect() {
        OutputLayout layout =
                new OutputLayout(
                        "file:///out",
                        List.of(OutputFormat.SRT),
                        null,
                        new OutputNames("{stem}.{lang}", "EN"));
        assertThat(layout.outputFor("a/talk.mp3", OutputFormat.SRT).toString())
                .isEqualTo("file:/out/a/talk.en.srt");
        assertThat(new OutputNames("{stem}.{lang}", null).apply("talk.tar.gz"))
                .isEqualTo("talk.tar.und");
        assertThat(new OutputNames("{stem}", null).apply("README")).isEqualTo("README");
        assertThat(new OutputNames("{name}-{lang}", "zh-TW").apply("x/y.ogg"))
                .isEqualTo("x/y.ogg-zh-tw");
    }

    @Test
    void refusesTemplatesThatCannotNameEachInputApart() {
        assertThatThrownBy(() -> new OutputNames("{lang}", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("{name} or {stem}");
        assertThatThrownBy(() -> new OutputNames("{stem}.{language}", null))
                .hasMessageContaining("unknown placeholder {language}");
        assertThatThrownBy(() -> new OutputNames("../{stem}", null))
                .hasMessageContaining("cannot hold '/'");
        assertThatThrownBy(() -> new OutputNames("{stem}", "en/../x"))
                .hasMessageContaining("a code such as en");
    }
}
