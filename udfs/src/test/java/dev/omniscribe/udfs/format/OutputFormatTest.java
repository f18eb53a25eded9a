package dev.omniscribe.udfs.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.Finish;
import dev.omniscribe.udfs.TestSegments;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.TranscriptSegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutputFormatTest {

    private static final Provenance NONE = new Provenance("0".repeat(64), Map.of());

    private static FileTranscript transcript(TranscriptSegment... segments) {
        long end = segments.length == 0 ? 0 : segments[segments.length - 1].endMs();
        return new FileTranscript(
                "file:/in/talks/a.mp3",
                "talks/a.mp3",
                100,
                end,
                "tiny",
                42,
                segments,
                null,
                null,
                TinyModel.options(30_000, TinyModel.greedy(1)));
    }

    private static final FileTranscript ENGLISH =
            transcript(
                    TestSegments.whole(
                            0,
                            0,
                            12_000,
                            "Hello world. This is a test of the subtitle splitter, which should"
                                    + " break long text into readable cues."),
                    TestSegments.whole(1, 12_000, 20_500, ""),
                    TestSegments.whole(2, 20_500, 3_725_250, "The end."));

    // Times: "Hello world." is 11 of the segment's 85 letters: 12 s * 11 / 85 = 1.553 s.
    @Test
    void srtCuesAreNumberedFromOneSplitAtPunctuationAndTimedByTextLength() {
        assertThat(OutputFormat.SRT.render(ENGLISH, NONE))
                .isEqualTo(
                        """
                        1
                        00:00:00,000 --> 00:00:01,553
                        Hello world.

                        2
                        00:00:01,553 --> 00:00:06,212
                        This is a test of the subtitle splitter,

                        3
                        00:00:06,212 --> 00:00:12,000
                        which should break long
                        text into readable cues.

                        4
                        00:00:20,500 --> 00:00:27,500
                        The end.

                        """);
    }

    @Test
    void vttHasAHeaderAndDotMilliseconds() {
        assertThat(OutputFormat.VTT.render(transcript(ENGLISH.segments()[2]), NONE))
                .isEqualTo(
                        """
                        WEBVTT

                        00:00:20.500 --> 00:00:27.500
                        The end.

                        """);
    }

    // A segment whose text holds markup characters, a timing arrow and a blank line (the cue
    // splitter rewraps words, so the blank line goes; cueText drops any that a wrap would keep).
    private static final FileTranscript MARKUP =
            transcript(TestSegments.whole(0, 0, 4_000, "Q&A: <b>x</b> --> y\n\nend"));

    @Test
    void vttEscapesAmpersandAndAngleBracketsAndCuesHoldNoArrowOrBlankLine() {
        assertThat(OutputFormat.VTT.render(MARKUP, NONE))
                .isEqualTo(
                        """
                        WEBVTT

                        00:00:00.000 --> 00:00:04.000
                        Q&amp;A: &lt;b&gt;x&lt;/b&gt; -&gt; y end

                        """);
    }

    @Test
    void srtCuesHoldNoArrowOrBlankLineAndKeepTheTextOtherwise() {
        assertThat(OutputFormat.SRT.render(MARKUP, NONE))
                .isEqualTo(
                        """
                        1
                        00:00:00,000 --> 00:00:04,000
                        Q&A: <b>x</b> -> y end

                        """);
    }

    @Test
    void chineseCuesHoldAtMostSixteenCharactersPerLine() {
        FileTranscript zh =
                transcript(
                        TestSegments.whole(
                                0, 0, 10_000, "今天我们讨论语音识别系统的设计，包括音频解码、静音切分、批量推理和字幕生成。" + "最后总结。"));

        assertThat(OutputFormat.SRT.render(zh, NONE))
                .isEqualTo(
                        """
                        1
                        00:00:00,000 --> 00:00:06,512
                        今天我们讨论语音识别系统的设计，
                        包括音频解码、静音切分、

                        2
                        00:00:06,512 --> 00:00:08,837
                        批量推理和字幕生成。

                        3
                        00:00:08,837 --> 00:00:10,000
                        最后总结。

                        """);
    }

    @Test
    void txtHasOneLinePerSegmentWithText() {
        assertThat(OutputFormat.TXT.render(ENGLISH, NONE))
                .isEqualTo(
                        "Hello world. This is a test of the subtitle splitter, which should break"
                                + " long text into readable cues.\nThe end.\n");
    }

    @Test
    void jsonHoldsFileDurationModelOptionsAndSegmentsInSeconds() throws Exception {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("segment_duration", 30.0);
        options.put("s2t", false);

        String sha = "ab".repeat(32);
        JsonNode json =
                new ObjectMapper()
                        .readTree(OutputFormat.JSON.render(ENGLISH, new Provenance(sha, options)));

        assertThat(json.get("file").asText()).isEqualTo("talks/a.mp3");
        assertThat(json.get("duration").decimalValue()).isEqualByComparingTo("3725.250");
        assertThat(json.get("model").asText()).isEqualTo("tiny");
        assertThat(json.get("model_sha256").asText()).isEqualTo(sha);
        assertThat(json.get("options").get("segment_duration").asDouble()).isEqualTo(30.0);
        assertThat(json.get("options").get("s2t").asBoolean()).isFalse();
        assertThat(json.get("segments")).hasSize(3);
        JsonNode last = json.get("segments").get(2);
        assertThat(last.get("index").asInt()).isEqualTo(2);
        assertThat(last.get("start").decimalValue()).isEqualByComparingTo("20.5");
        assertThat(last.get("end").decimalValue()).isEqualByComparingTo("3725.25");
        assertThat(last.get("text").asText()).isEqualTo("The end.");
        assertThat(List.of(json.fieldNames().next())).containsExactly("file");
    }

    @Test
    void timestampsPastTenHoursKeepCounting() {
        assertThat(Timestamps.srt(36_000_000L + 61_001)).isEqualTo("10:01:01,001");
        assertThat(Timestamps.vtt(0)).isEqualTo("00:00:00.000");
    }

    @Test
    void formatListsAreParsedAndValidated() {
        assertThat(OutputFormat.parseList("txt, SRT,json,txt"))
                .containsExactly(OutputFormat.TXT, OutputFormat.SRT, OutputFormat.JSON);
        assertThatThrownBy(() -> OutputFormat.parseList("txt,docx")).hasMessageContaining("docx");
    }

    @Test
    void splitChannelsCarryTheirLabelInTextAndTheirNumberInJson() throws Exception {
        FileTranscript call =
                transcript(
                        new TranscriptSegment(
                                0,
                                500,
                                2_000,
                                "Hello.",
                                Finish.STOP,
                                null,
                                1,
                                new dev.omniscribe.udfs.SpeechRegion[] {
                                    new dev.omniscribe.udfs.SpeechRegion(500, 2_000)
                                }),
                        new TranscriptSegment(
                                1,
                                2_500,
                                4_000,
                                "Hi.",
                                Finish.STOP,
                                null,
                                2,
                                new dev.omniscribe.udfs.SpeechRegion[] {
                                    new dev.omniscribe.udfs.SpeechRegion(2_500, 4_000)
                                }));

        assertThat(OutputFormat.TXT.render(call, NONE)).isEqualTo("[ch1] Hello.\n[ch2] Hi.\n");
        assertThat(OutputFormat.SRT.render(call, NONE))
                .isEqualTo(
                        "1\n00:00:00,500 --> 00:00:02,000\n[ch1] Hello.\n\n"
                                + "2\n00:00:02,500 --> 00:00:04,000\n[ch2] Hi.\n\n");
        JsonNode json = new ObjectMapper().readTree(OutputFormat.JSON.render(call, NONE));
        assertThat(json.get("segments").get(0).get("channel").asInt()).isEqualTo(1);
        assertThat(json.get("segments").get(1).get("channel").asInt()).isEqualTo(2);
        // Mixed channels have no channel field.
        JsonNode mixed = new ObjectMapper().readTree(OutputFormat.JSON.render(ENGLISH, NONE));
        assertThat(mixed.get("segments").get(0).has("channel")).isFalse();
    }
}
