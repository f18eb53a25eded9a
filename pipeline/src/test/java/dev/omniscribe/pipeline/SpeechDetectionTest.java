package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.pipeline.SpeechBenchmark.Cue;
import dev.omniscribe.udfs.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Speech detection in the whole job, on espeak-ng speech at known times between silence, music and
 * noise (Debian's espeak-ng must be installed; {@code bin/test} installs it): segments follow the
 * speech, non-speech reaches no engine, cues start in speech, split channels are labelled.
 */
class SpeechDetectionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path work;

    /** Utterances of speech.wav: audible start and end, seconds. */
    private static final List<double[]> SPEECH = new ArrayList<>();

    /** Leading silence of each utterance as espeak-ng made it, seconds. */
    private static final double[] LEAD = new double[3];

    private static double speechSeconds;

    @BeforeAll
    static void makeAudio() throws IOException {
        Random random = new Random(7);
        float[][] utterances = {
            SpeechCorpus.synthesize("en-us", "Good morning, how can I help you today?"),
            SpeechCorpus.synthesize("de", "Der Zug fährt heute eine halbe Stunde später ab."),
            SpeechCorpus.synthesize("cmn", "你好，我想查询一下明天的航班信息。")
        };
        // speech.wav: 1.5 s of silence, then each utterance followed by 2.5 s of music, of noise,
        // of silence.
        double length = 1.5;
        for (float[] u : utterances) {
            length += u.length / (double) SpeechCorpus.RATE + 2.5;
        }
        SpeechCorpus.Track speech = new SpeechCorpus.Track(1, length);
        double t = 1.5;
        for (int i = 0; i < utterances.length; i++) {
            float[] u = utterances[i];
            int at = (int) Math.round(t * SpeechCorpus.RATE);
            speech.add(0, u, at);
            int[] a = SpeechCorpus.audible(u);
            LEAD[i] = a[0] / (double) SpeechCorpus.RATE;
            SPEECH.add(
                    new double[] {
                        (at + a[0]) / (double) SpeechCorpus.RATE,
                        (at + a[1]) / (double) SpeechCorpus.RATE
                    });
            t += u.length / (double) SpeechCorpus.RATE;
            if (i == 0) {
                speech.music(t, t + 2.5, random);
            } else if (i == 1) {
                speech.noise(t, t + 2.5, 0.04, random);
            }
            t += 2.5;
        }
        speechSeconds = speech.length() / (double) SpeechCorpus.RATE;
        speech.write(work.resolve("speech/speech.wav"));

        // music.wav: 40 s of music and noise, 10 s each in turn.
        SpeechCorpus.Track music = new SpeechCorpus.Track(1, 40);
        for (int s = 0; s < 40; s += 10) {
            if (s % 20 == 0) {
                music.music(s, s + 10, random);
            } else {
                music.noise(s, s + 10, 0.05, random);
            }
        }
        music.write(work.resolve("music/music.wav"));

        // call.wav: speaker 1 on the left at 1 s and 12 s, speaker 2 on the right at 6 s.
        SpeechCorpus.Track call = new SpeechCorpus.Track(2, 17);
        call.add(0, utterances[0], SpeechCorpus.RATE);
        call.add(1, utterances[1], 6 * SpeechCorpus.RATE);
        call.add(0, utterances[0], 12 * SpeechCorpus.RATE);
        call.write(work.resolve("call/call.wav"));
        Files.copy(work.resolve("speech/speech.wav"), work.resolve("call/mono.wav"));
    }

    private static Path transcribe(String in, String... options) {
        Path out = work.resolve("out-" + in + "-" + String.join("-", options));
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--input",
                                work.resolve(in).toString(),
                                "--output",
                                out.toString(),
                                "--model",
                                TinyModel.dir().toString(),
                                "--max-new-tokens",
                                "6",
                                "--formats",
                                "txt,srt,vtt,json",
                                "--decode-parallelism",
                                "1"));
        args.addAll(List.of(options));
        assertThat(TranscribeCommand.run(args.toArray(String[]::new))).isZero();
        return out;
    }

    @Test
    void segmentsAreTheSpeechWithinAQuarterSecondAndTheJsonKeepsTheWholeDuration()
            throws IOException {
        Path out = transcribe("speech", "--vad", "on");

        JsonNode json = JSON.readTree(out.resolve("speech.wav.json").toFile());
        assertThat(json.get("duration").asDouble()).isCloseTo(speechSeconds, within(0.002));
        JsonNode segments = json.get("segments");
        assertThat(segments).hasSize(SPEECH.size());
        for (int i = 0; i < SPEECH.size(); i++) {
            assertThat(segments.get(i).get("start").asDouble())
                    .isCloseTo(SPEECH.get(i)[0], within(0.25));
            assertThat(segments.get(i).get("end").asDouble())
                    .isCloseTo(SPEECH.get(i)[1], within(0.25));
        }
    }

    @Test
    void withSpeechDetectionOffSegmentsTileTheFileAsBefore() throws IOException {
        Path out = transcribe("speech", "--vad", "off", "--segment-duration", "10");

        JsonNode segments = JSON.readTree(out.resolve("speech.wav.json").toFile()).get("segments");
        assertThat(segments.get(0).get("start").asDouble()).isZero();
        for (int i = 1; i < segments.size(); i++) {
            assertThat(segments.get(i).get("start").asDouble())
                    .isEqualTo(segments.get(i - 1).get("end").asDouble());
        }
        assertThat(segments.get(segments.size() - 1).get("end").asDouble())
                .isCloseTo(speechSeconds, within(0.002));
    }

    @Test
    void musicAndNoiseReachNoEngineAndGiveAnEmptyTranscript() throws IOException {
        Path on = transcribe("music", "--vad", "on");
        Path off = transcribe("music", "--vad", "off");

        JsonNode json = JSON.readTree(on.resolve("music.wav.json").toFile());
        assertThat(json.get("segments")).isEmpty();
        assertThat(json.get("text").asText()).isEmpty();
        // The model's name comes from segments the engine transcribed: none did.
        assertThat(json.get("model").isNull()).isTrue();
        assertThat(json.get("duration").asDouble()).isCloseTo(40.0, within(0.002));
        assertThat(Files.readString(on.resolve("music.wav.txt"))).isEmpty();
        assertThat(Files.readString(on.resolve("music.wav.srt"))).isEmpty();
        // Without speech detection the same file goes to the engine.
        JsonNode before = JSON.readTree(off.resolve("music.wav.json").toFile());
        assertThat(before.get("model").isNull()).isFalse();
        assertThat(before.get("segments")).hasSize(2);
    }

    @Test
    void cuesStartInSpeechNeverInAPause() throws IOException {
        Path out = transcribe("speech", "--vad", "on");

        List<Cue> cues = SpeechBenchmark.cues(Files.readString(out.resolve("speech.wav.srt")));
        assertThat(cues).isNotEmpty();
        for (Cue c : cues) {
            // Inside an utterance, or in the padding just before it.
            assertThat(SPEECH)
                    .as("cue at %.3f s", c.startS())
                    .anySatisfy(u -> assertThat(c.startS()).isBetween(u[0] - 0.25, u[1] - 0.001));
        }
        // Each utterance's first cue starts with it.
        for (double[] u : SPEECH) {
            Cue first =
                    cues.stream()
                            .filter(c -> c.endS() > u[0] && c.startS() < u[1])
                            .findFirst()
                            .orElseThrow();
            assertThat(first.startS()).isCloseTo(u[0], within(0.5));
        }
    }

    @Test
    void splitChannelsAreTranscribedApartAndLabelledInTimeOrder() throws IOException {
        Path out = transcribe("call", "--channels", "split");

        JsonNode segments = JSON.readTree(out.resolve("call.wav.json").toFile()).get("segments");
        List<Integer> channels = new ArrayList<>();
        List<Double> starts = new ArrayList<>();
        for (JsonNode s : segments) {
            channels.add(s.get("channel").asInt());
            starts.add(s.get("start").asDouble());
        }
        assertThat(channels).containsExactly(1, 2, 1);
        assertThat(starts).isSorted();
        assertThat(starts.get(0)).isCloseTo(1.0 + LEAD[0], within(0.25));
        assertThat(starts.get(1)).isCloseTo(6.0 + LEAD[1], within(0.25));

        String srt = Files.readString(out.resolve("call.wav.srt"));
        List<Cue> cues = SpeechBenchmark.cues(srt);
        assertThat(cues).extracting(Cue::channel).contains(1, 2);
        assertThat(cues).extracting(Cue::channel).doesNotContain(0);
        assertThat(cues.stream().filter(c -> c.channel() == 2).findFirst().orElseThrow().startS())
                .isGreaterThan(5.9);
        assertThat(Files.readString(out.resolve("call.wav.vtt"))).contains("[ch2] ");
        assertThat(Files.readAllLines(out.resolve("call.wav.txt")))
                .allSatisfy(line -> assertThat(line).matches("\\[ch[12]\\] .*"));

        // A file of one channel is transcribed as if mixed: no labels, no channel field.
        JsonNode mono = JSON.readTree(out.resolve("mono.wav.json").toFile()).get("segments");
        assertThat(mono).isNotEmpty();
        assertThat(mono.get(0).has("channel")).isFalse();
        assertThat(Files.readString(out.resolve("mono.wav.srt"))).doesNotContain("[ch");
    }
}
