package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.audio.WavFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Audio with known speech times, for the speech detection benchmark and tests: espeak-ng utterances
 * in several languages at known offsets, separated by silence, noise and music-like tones, written
 * as 16 kHz 16-bit WAV files. The truth of an utterance is where espeak-ng's own output is audible
 * (above {@value #AUDIBLE} of full scale), measured before mixing.
 *
 * <p>Needs Debian's {@code espeak-ng} on the {@code PATH}.
 */
public final class SpeechCorpus {

    /** Sample rate of everything made here, Hz. */
    public static final int RATE = 16_000;

    /** Amplitude above which an utterance's samples count as audible. */
    static final float AUDIBLE = 0.01f;

    /** Languages (espeak-ng voices) and sentences. */
    static final String[][] SENTENCES = {
        {"en-us", "Good morning, thank you for calling. How can I help you today?"},
        {"en-us", "The quarterly report is due on Friday, so please send your figures."},
        {"de", "Guten Tag, ich möchte gerne einen Termin für nächste Woche vereinbaren."},
        {"de", "Der Zug nach Berlin fährt heute leider eine halbe Stunde später ab."},
        {"es", "Buenas tardes, el pedido llegará mañana por la mañana."},
        {"es", "Por favor, confirme su dirección y su número de teléfono."},
        {"it", "Buongiorno, vorrei sapere se il negozio è aperto domenica."},
        {"pt", "Obrigado pela paciência, o sistema voltou a funcionar."},
        {"nl", "De vergadering begint om tien uur in de grote zaal."},
        {"ru", "Здравствуйте, я хотел бы узнать статус моего заказа."},
        {"cmn", "你好，我想查询一下明天的航班信息。"},
        {"cmn", "今天的会议改到下午三点，请大家准时参加。"}
    };

    private SpeechCorpus() {}

    /** One utterance placed in a file: where it is audible, in seconds, and in which channel. */
    public record Utterance(double startS, double endS, String voice, int channel) {}

    /** A mono or multi-channel timeline being filled. */
    public static final class Track {
        private final float[][] channels;

        public Track(int channels, double seconds) {
            this.channels = new float[channels][(int) Math.round(seconds * RATE)];
        }

        public int length() {
            return channels[0].length;
        }

        /** Adds {@code x} to channel {@code c} (from 0) from sample {@code at}. */
        public void add(int c, float[] x, int at) {
            float[] d = channels[c];
            for (int i = 0; i < x.length && at + i < d.length; i++) {
                d[at + i] += x[i];
            }
        }

        /** Adds white noise of RMS {@code level} to every channel in [from, to) seconds. */
        public void noise(double fromS, double toS, double level, Random random) {
            for (float[] d : channels) {
                for (int i = (int) (fromS * RATE); i < Math.min(d.length, toS * RATE); i++) {
                    d[i] += (float) (random.nextGaussian() * level);
                }
            }
        }

        /**
         * Adds music-like tones to every channel in [from, to) seconds: a chord of three notes with
         * harmonics, changing every quarter second, with a beat-like envelope.
         */
        public void music(double fromS, double toS, Random random) {
            int from = (int) (fromS * RATE);
            int to = (int) Math.min(channels[0].length, toS * RATE);
            int note = RATE / 4;
            double[] chord = new double[3];
            for (int start = from; start < to; start += note) {
                double root = 110 * Math.pow(2, random.nextInt(24) / 12.0);
                chord[0] = root;
                chord[1] = root * Math.pow(2, 4 / 12.0);
                chord[2] = root * Math.pow(2, 7 / 12.0);
                for (int i = start; i < Math.min(to, start + note); i++) {
                    double t = (double) i / RATE;
                    double beat = Math.exp(-8.0 * (i - start) / RATE);
                    double v = 0;
                    for (double f : chord) {
                        v += Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t);
                    }
                    for (float[] d : channels) {
                        d[i] += (float) (0.08 * (0.4 + beat) * v);
                    }
                }
            }
        }

        /** Writes the track as 16-bit PCM WAV. */
        public void write(Path file) throws IOException {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, WavFormat.encode16(RATE, channels));
        }
    }

    /**
     * One utterance by espeak-ng, resampled to 16 kHz (linear interpolation).
     *
     * @param voice an espeak-ng voice, such as {@code en-us} or {@code cmn}
     */
    public static float[] synthesize(String voice, String text) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder("espeak-ng", "-v", voice, "--stdout", text).start();
        } catch (IOException e) {
            throw new IOException(
                    "espeak-ng is needed to make speech (Debian: apt-get install espeak-ng): "
                            + e.getMessage(),
                    e);
        }
        byte[] wav;
        try (InputStream in = p.getInputStream()) {
            wav = in.readAllBytes();
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("espeak-ng failed for voice " + voice);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return resample(wav);
    }

    // espeak-ng's WAV (mono, 16-bit; its sample rate from the header) at 16 kHz.
    private static float[] resample(byte[] wav) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        int rate = b.getInt(24);
        // The data chunk: espeak-ng writes its size as unknown when streaming, so read to the end.
        int pos = 12;
        while (pos + 8 <= wav.length) {
            String id = new String(wav, pos, 4, java.nio.charset.StandardCharsets.US_ASCII);
            if (id.equals("data")) {
                break;
            }
            pos += 8 + b.getInt(pos + 4);
        }
        if (pos + 8 > wav.length) {
            throw new IOException("espeak-ng wrote no audio data");
        }
        int start = pos + 8;
        int n = (wav.length - start) / 2;
        float[] in = new float[n];
        for (int i = 0; i < n; i++) {
            in[i] = b.getShort(start + 2 * i) / 32768f;
        }
        int outN = (int) ((long) n * RATE / rate);
        float[] out = new float[outN];
        for (int i = 0; i < outN; i++) {
            double x = (double) i * rate / RATE;
            int j = (int) x;
            double f = x - j;
            float a = in[Math.min(j, n - 1)];
            float c = in[Math.min(j + 1, n - 1)];
            out[i] = (float) (a + (c - a) * f);
        }
        return out;
    }

    /** First and last audible sample of {@code x} (see {@link #AUDIBLE}), or null if none. */
    public static int[] audible(float[] x) {
        int first = -1;
        int last = -1;
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i]) > AUDIBLE) {
                if (first < 0) {
                    first = i;
                }
                last = i;
            }
        }
        return first < 0 ? null : new int[] {first, last + 1};
    }

    /** Utterances of every sentence, synthesized once. */
    static final class Voices {
        private final List<float[]> audio = new ArrayList<>();

        Voices() throws IOException {
            for (String[] s : SENTENCES) {
                audio.add(synthesize(s[0], s[1]));
            }
        }

        int size() {
            return audio.size();
        }

        float[] get(int i) {
            return audio.get(i);
        }

        String voice(int i) {
            return SENTENCES[i][0];
        }
    }

    /**
     * Fills {@code track}'s channel {@code channel} from {@code fromS} to about {@code toS}: a gap
     * (silence, noise or music, 1.5 to 5 s), then a turn of one utterance or two 0.4 s apart, and
     * so on.
     *
     * @param background RMS of a noise floor laid under the whole stretch, or 0
     * @return the utterances placed, in time order
     */
    static List<Utterance> fill(
            Track track,
            int channel,
            double fromS,
            double toS,
            Voices voices,
            Random random,
            double background) {
        List<Utterance> placed = new ArrayList<>();
        if (background > 0) {
            track.noise(fromS, toS, background, random);
        }
        double t = fromS;
        while (true) {
            double gap = 1.5 + random.nextDouble() * 3.5;
            int kind = random.nextInt(3);
            if (kind == 1) {
                track.noise(t, t + gap, 0.02 + random.nextDouble() * 0.04, random);
            } else if (kind == 2) {
                track.music(t, t + gap, random);
            }
            t += gap;
            int utterances = random.nextInt(3) == 0 ? 2 : 1;
            List<Utterance> turn = new ArrayList<>();
            for (int u = 0; u < utterances; u++) {
                int i = random.nextInt(voices.size());
                float[] x = voices.get(i);
                double seconds = (double) x.length / RATE;
                if (t + seconds > toS) {
                    return placed;
                }
                int at = (int) Math.round(t * RATE);
                track.add(channel, x, at);
                int[] a = audible(x);
                turn.add(
                        new Utterance(
                                (at + a[0]) / (double) RATE,
                                (at + a[1]) / (double) RATE,
                                voices.voice(i),
                                channel));
                t += (a[1] - 0) / (double) RATE + 0.4;
            }
            placed.addAll(turn);
        }
    }
}
