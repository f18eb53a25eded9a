package dev.omniscribe.udfs.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.udfs.Finish;
import dev.omniscribe.udfs.SpeechRegion;
import dev.omniscribe.udfs.TestSegments;
import dev.omniscribe.udfs.TranscriptSegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class CueSplitterTest {

    private static double width(String line) {
        double w = 0;
        for (int cp : line.codePoints().toArray()) {
            Character.UnicodeScript s = Character.UnicodeScript.of(cp);
            boolean cjk =
                    s == Character.UnicodeScript.HAN
                            || (cp >= 0x3000 && cp <= 0x303F)
                            || (cp >= 0xFF00 && cp <= 0xFFEF);
            w += cjk ? CueSplitter.CJK_WIDTH : 1;
        }
        return w;
    }

    @Test
    void aLongSegmentBecomesCuesOfAtMostTwoLinesAndSevenSecondsInsideTheSegment() {
        String text =
                ("The quick brown fox jumps over the lazy dog while the band plays on and on, "
                                + "and nobody seems to notice the time passing by at all. ")
                        .repeat(6);
        TranscriptSegment s = TestSegments.whole(3, 90_000, 120_000, text);

        List<Cue> cues = CueSplitter.split(s);

        assertThat(cues.size()).isGreaterThan(5);
        long previousEnd = s.startMs();
        for (Cue c : cues) {
            assertThat(c.startMs()).isGreaterThanOrEqualTo(previousEnd);
            assertThat(c.endMs()).isGreaterThan(c.startMs());
            assertThat(c.endMs() - c.startMs()).isLessThanOrEqualTo(CueSplitter.MAX_CUE_MS);
            String[] lines = c.text().split("\n");
            assertThat(lines.length).isLessThanOrEqualTo(2);
            for (String line : lines) {
                assertThat(width(line)).isLessThanOrEqualTo(CueSplitter.LINE_WIDTH);
            }
            previousEnd = c.endMs();
        }
        assertThat(cues.get(cues.size() - 1).endMs()).isEqualTo(s.endMs());
        // No word is lost or duplicated.
        String joined =
                String.join(" ", cues.stream().map(c -> c.text().replace('\n', ' ')).toList());
        assertThat(joined).isEqualTo(text.strip());
    }

    @Test
    void chineseTextSplitsAtSixteenCharactersPerLine() {
        String text = "这是一个很长的中文句子没有任何标点符号用来测试字幕切分是否会在十六个字处换行并且不超过两行";
        List<Cue> cues = CueSplitter.split(TestSegments.whole(0, 0, 6_000, text));

        for (Cue c : cues) {
            for (String line : c.text().split("\n")) {
                assertThat(line.codePointCount(0, line.length())).isLessThanOrEqualTo(16);
            }
        }
        assertThat(String.join("", cues.stream().map(c -> c.text().replace("\n", "")).toList()))
                .isEqualTo(text);
    }

    @Test
    void aSingleWordOverALongSegmentIsShownForSevenSeconds() {
        List<Cue> cues = CueSplitter.split(TestSegments.whole(0, 1_000, 31_000, "Okay."));

        assertThat(cues).containsExactly(new Cue(1_000, 8_000, "Okay."));
    }

    @Test
    void blankTextHasNoCue() {
        assertThat(CueSplitter.split(TestSegments.whole(0, 0, 5_000, "  \n "))).isEmpty();
    }

    @Test
    void aWordLongerThanALineIsCutIntoLines() {
        String word = "x".repeat(100);
        List<Cue> cues = CueSplitter.split(TestSegments.whole(0, 0, 3_000, word));

        for (Cue c : cues) {
            for (String line : c.text().split("\n")) {
                assertThat(line.length()).isLessThanOrEqualTo(42);
            }
        }
        assertThat(String.join("", cues.stream().map(c -> c.text().replace("\n", "")).toList()))
                .isEqualTo(word);
    }

    @Test
    void textIsSharedOverTheSpeechRegionsAndNoCueStartsInAPause() {
        // 1-4 s and 10-13 s are speech; 4-10 s is a pause inside the segment.
        SpeechRegion[] speech = {new SpeechRegion(1_000, 4_000), new SpeechRegion(10_000, 13_000)};
        TranscriptSegment s =
                new TranscriptSegment(
                        0,
                        1_000,
                        13_000,
                        "First sentence here. Second sentence now.",
                        Finish.STOP,
                        null,
                        0,
                        speech);

        List<Cue> cues = CueSplitter.split(s);

        // Equal text, equal speech time: the first cue fills the first region, the second the
        // second one (spread over the whole segment, the second would start at 7 s, in the pause).
        assertThat(cues).hasSize(2);
        assertThat(cues.get(0).startMs()).isEqualTo(1_000);
        assertThat(cues.get(0).endMs()).isEqualTo(4_000);
        assertThat(cues.get(1).startMs()).isEqualTo(10_000);
        assertThat(cues.get(1).endMs()).isEqualTo(13_000);
    }

    @Test
    void cuesNeverStartInPausesWhateverTheTextLength() {
        SpeechRegion[] speech = {
            new SpeechRegion(0, 2_000),
            new SpeechRegion(5_000, 5_500),
            new SpeechRegion(9_000, 20_000)
        };
        String text =
                "One, two, three, four. Five six seven eight nine ten. Eleven twelve thirteen. "
                        .repeat(4);
        List<Cue> cues =
                CueSplitter.split(
                        new TranscriptSegment(4, 0, 20_000, text, Finish.STOP, null, 0, speech));

        assertThat(cues.size()).isGreaterThan(3);
        for (Cue c : cues) {
            assertThat(speech)
                    .as("cue at %d ms", c.startMs())
                    .anySatisfy(r -> assertThat(c.startMs()).isBetween(r.startMs(), r.endMs() - 1));
        }
    }

    @Test
    void channelCuesAreLabelledAndMergedByTime() {
        TranscriptSegment left =
                new TranscriptSegment(
                        0,
                        0,
                        8_000,
                        "Hello there. How are you doing today?",
                        Finish.STOP,
                        null,
                        1,
                        new SpeechRegion[] {new SpeechRegion(0, 8_000)});
        TranscriptSegment right =
                new TranscriptSegment(
                        1,
                        1_500,
                        2_500,
                        "Fine, thanks.",
                        Finish.STOP,
                        null,
                        2,
                        new SpeechRegion[] {new SpeechRegion(1_500, 2_500)});

        List<Cue> cues = CueSplitter.split(new TranscriptSegment[] {left, right});

        // "Hello there." is a third of the left text: its cue lasts until about 2.6 s.
        assertThat(cues)
                .extracting(Cue::text)
                .containsExactly(
                        "[ch1] Hello there.",
                        "[ch2] Fine, thanks.",
                        "[ch1] How are you doing today?");
        assertThat(cues).extracting(Cue::startMs).isSorted();
    }
}
