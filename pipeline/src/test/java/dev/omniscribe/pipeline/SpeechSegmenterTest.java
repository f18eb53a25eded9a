package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.udfs.SpeechDetection;
import dev.omniscribe.udfs.SpeechRegion;
import dev.omniscribe.udfs.audio.Segmenter;
import dev.omniscribe.udfs.audio.SileroVad;
import dev.omniscribe.udfs.audio.SpeechSegmenter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Silero VAD and the speech segmenter on espeak-ng speech (Debian's espeak-ng must be installed;
 * {@code bin/test} installs it).
 */
class SpeechSegmenterTest {

    private static SileroVad vad;
    private static float[] hello;
    private static float[] train;

    @BeforeAll
    static void load() throws IOException {
        vad = new SileroVad();
        hello = SpeechCorpus.synthesize("en-us", "Good morning, how can I help you today?");
        train = SpeechCorpus.synthesize("de", "Der Zug fährt heute eine halbe Stunde später ab.");
    }

    @AfterAll
    static void close() {
        vad.close();
    }

    /** Windows' probabilities of {@code audio} from a stream of {@code rows} rows. */
    private static float[] probabilities(float[] audio, int rows) {
        int windows = (audio.length + SileroVad.WINDOW - 1) / SileroVad.WINDOW;
        float[] p = new float[windows];
        SileroVad.Stream s =
                rows == 1
                        ? vad.stream(1, 250, (w, prob) -> p[(int) w] = prob)
                        : vad.stream((w, prob) -> p[(int) w] = prob);
        // Uneven pieces, as audio arrives from ffmpeg.
        for (int o = 0; o < audio.length; o += 7_777) {
            s.accept(audio, o, Math.min(7_777, audio.length - o));
        }
        s.finish();
        assertThat(s.windows()).isEqualTo(windows);
        return p;
    }

    /** Audible stretches of {@link #conversation()}, seconds. */
    private static final List<double[]> SPOKEN = new ArrayList<>();

    /** 150 s: an utterance every 6 s, silence between, a noise floor under everything. */
    private static float[] conversation() {
        SpeechCorpus.Track t = new SpeechCorpus.Track(1, 150);
        t.noise(0, 150, 0.002, new java.util.Random(3));
        SPOKEN.clear();
        for (int s = 1; s < 145; s += 6) {
            float[] u = (s / 6) % 2 == 0 ? hello : train;
            t.add(0, u, s * SpeechCorpus.RATE);
            int[] a = SpeechCorpus.audible(u);
            SPOKEN.add(new double[] {s + a[0] / 16_000.0, s + a[1] / 16_000.0});
        }
        return samples(t);
    }

    // Share of windows in [from, to) seconds at or above 0.5.
    private static double speechShare(float[] p, double from, double to) {
        int a = (int) (from * 16_000 / SileroVad.WINDOW);
        int b = Math.min(p.length, (int) (to * 16_000 / SileroVad.WINDOW));
        int n = 0;
        for (int i = a; i < b; i++) {
            n += p[i] >= 0.5 ? 1 : 0;
        }
        return (double) n / Math.max(1, b - a);
    }

    private static float[] samples(SpeechCorpus.Track t) {
        try {
            java.nio.file.Path f = java.nio.file.Files.createTempFile("track", ".wav");
            t.write(f);
            byte[] wav = java.nio.file.Files.readAllBytes(f);
            java.nio.file.Files.delete(f);
            float[] x = new float[(wav.length - 44) / 2];
            for (int i = 0; i < x.length; i++) {
                x[i] = (short) ((wav[45 + 2 * i] << 8) | (wav[44 + 2 * i] & 0xff)) / 32768f;
            }
            return x;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void batchedBlocksFindTheSameSpeechAsOneWindowPerCall() {
        float[] audio = conversation();

        float[] sequential = probabilities(audio, 1);
        float[] batched = probabilities(audio, 16);

        // Silero's state remembers far back: started 5 s later, its own one-window-per-call
        // stream flips about 1% of windows for the rest of the file. A batched stretch starts
        // 0.5 s before its windows, so windows near the threshold differ the same way; on this
        // quiet conversation, up to 5%.
        int disagree = 0;
        for (int i = 0; i < sequential.length; i++) {
            if ((sequential[i] >= 0.5) != (batched[i] >= 0.5)) {
                disagree++;
            }
        }
        assertThat(disagree).isLessThanOrEqualTo(sequential.length / 20);
        // Both hear each utterance as speech, and the pauses between them as none.
        for (float[] p : List.of(sequential, batched)) {
            for (double[] u : SPOKEN) {
                assertThat(speechShare(p, u[0], u[1])).isGreaterThan(0.7);
            }
            for (int k = 1; k < SPOKEN.size(); k++) {
                double from = SPOKEN.get(k - 1)[1] + 0.3;
                double to = SPOKEN.get(k)[0] - 0.3;
                assertThat(speechShare(p, from, to)).isLessThan(0.05);
            }
        }
    }

    private static List<Segmenter.Segment> segments(float[] audio, long targetMs) {
        List<Segmenter.Segment> out = new ArrayList<>();
        SpeechSegmenter s =
                new SpeechSegmenter(
                        targetMs,
                        Math.min(targetMs / 3, 10_000),
                        SpeechDetection.DEFAULT,
                        vad,
                        out::add);
        byte[] pcm = new byte[audio.length * 2];
        for (int i = 0; i < audio.length; i++) {
            short v = (short) Math.round(Math.max(-1, Math.min(1, audio[i])) * 32767);
            pcm[2 * i] = (byte) v;
            pcm[2 * i + 1] = (byte) (v >> 8);
        }
        for (int o = 0; o < pcm.length; o += 10_001) {
            s.accept(pcm, o, Math.min(10_001, pcm.length - o));
        }
        assertThat(s.finish()).isEqualTo(audio.length);
        return out;
    }

    @Test
    void speechWithShortPausesIsMergedUpToTheTargetAndCutInPauses() {
        // Utterances 0.5 s apart (a pause kept inside a segment) for about 60 s.
        SpeechCorpus.Track t = new SpeechCorpus.Track(1, 64);
        List<double[]> truth = new ArrayList<>();
        double at = 1;
        int i = 0;
        while (true) {
            float[] u = i++ % 2 == 0 ? hello : train;
            if (at + u.length / 16_000.0 > 63) {
                break;
            }
            t.add(0, u, (int) (at * SpeechCorpus.RATE));
            int[] a = SpeechCorpus.audible(u);
            truth.add(new double[] {at + a[0] / 16_000.0, at + a[1] / 16_000.0});
            at += a[1] / 16_000.0 + 0.5;
        }

        List<Segmenter.Segment> segs = segments(samples(t), 20_000);

        assertThat(segs.size()).isBetween(3, 5);
        long previousEnd = 0;
        for (Segmenter.Segment s : segs) {
            assertThat(s.endMs() - s.startMs()).isLessThanOrEqualTo(20_000);
            assertThat(s.startMs()).isGreaterThanOrEqualTo(previousEnd);
            assertThat(s.speech().length).isGreaterThan(1);
            assertThat(s.speech()[0].startMs()).isEqualTo(s.startMs());
            assertThat(s.speech()[s.speech().length - 1].endMs()).isEqualTo(s.endMs());
            previousEnd = s.endMs();
        }
        // Every cut between two segments falls in a pause, not inside an utterance.
        for (int k = 1; k < segs.size(); k++) {
            double cut = segs.get(k).startMs() / 1000.0;
            assertThat(truth).noneSatisfy(u -> assertThat(cut).isBetween(u[0] + 0.05, u[1] - 0.05));
        }
        // Every utterance is in a segment.
        for (double[] u : truth) {
            assertThat(segs)
                    .anySatisfy(
                            s ->
                                    assertThat(
                                                    Math.min(s.endMs() / 1000.0, u[1])
                                                            - Math.max(s.startMs() / 1000.0, u[0]))
                                            .isGreaterThan(0.8 * (u[1] - u[0])));
        }
    }

    @Test
    void speechLongerThanTheTargetIsCutAtTheTarget() {
        // One long run of speech without pauses: the same utterance back to back, no silence.
        int[] a = SpeechCorpus.audible(hello);
        float[] word = java.util.Arrays.copyOfRange(hello, a[0], a[1]);
        SpeechCorpus.Track t = new SpeechCorpus.Track(1, 30);
        for (int at = SpeechCorpus.RATE;
                at + word.length < 29 * SpeechCorpus.RATE;
                at += word.length) {
            t.add(0, word, at);
        }

        List<Segmenter.Segment> segs = segments(samples(t), 5_000);

        assertThat(segs.size()).isGreaterThanOrEqualTo(5);
        for (Segmenter.Segment s : segs) {
            assertThat(s.endMs() - s.startMs()).isLessThanOrEqualTo(5_000);
            for (SpeechRegion r : s.speech()) {
                assertThat(r.startMs()).isBetween(s.startMs(), s.endMs());
            }
        }
    }

    @Test
    void silenceAndAQuietNoiseFloorGiveNoSegment() {
        SpeechCorpus.Track t = new SpeechCorpus.Track(1, 20);
        t.noise(5, 20, 0.003, new java.util.Random(5));

        assertThat(segments(samples(t), 30_000)).isEmpty();
    }
}
