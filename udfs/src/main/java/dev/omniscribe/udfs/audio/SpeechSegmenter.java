package dev.omniscribe.udfs.audio;

import dev.omniscribe.udfs.SpeechDetection;
import dev.omniscribe.udfs.SpeechRegion;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Cuts a stream of 16 kHz mono s16le PCM into segments of speech, as the audio arrives: Silero VAD
 * ({@link SileroVad}) gives each 32 ms window a speech probability, speech regions follow silero's
 * {@code get_speech_timestamps} ({@link SpeechDetection}), and regions are merged into segments
 * while the pause between them is short and the segment stays within the target length. Audio
 * outside every segment (silence, music, noise) is dropped: segments do not tile the input.
 *
 * <p>A region longer than the target is cut in its longest stretch of low speech probability (below
 * the end-of-speech threshold) in the last third before the target, else at its least likely
 * window, as silero does at its longest speech. Memory is bounded by the target length plus one
 * block of VAD input, whatever the input length.
 *
 * <p>Not thread-safe; one instance per file and channel.
 */
public final class SpeechSegmenter implements AudioSegmenter {

    private static final int RATE = Segmenter.SAMPLE_RATE;
    private static final int WINDOW = SileroVad.WINDOW;

    private final SpeechDetection detection;
    private final long targetSamples;
    private final long searchSamples;
    private final long padSamples;
    private final long minSpeechSamples;
    private final long minSilenceSamples;
    private final long maxPauseSamples;
    private final Consumer<Segmenter.Segment> sink;
    private final SileroVad.Stream vad;

    // PCM kept from bufferStart (sample) on, s16le.
    private byte[] buffer = new byte[1 << 16];
    private int buffered;
    private long bufferStart;
    private long received; // samples received
    private int oddByte = -1;
    private float[] floats = new float[0];

    // Probabilities of the windows from probsStart (window) on.
    private float[] probs = new float[1024];
    private int probCount;
    private long probsStart;

    // silero's state machine, in samples.
    private boolean triggered;
    private long speechStart;
    private long tempEnd;
    private long speechWindows; // windows of sure speech since speechStart

    // The open segment: padded regions, in samples.
    private final List<long[]> regions = new ArrayList<>();
    private int nextIndex;
    private boolean finished;

    /**
     * @param targetMs the longest segment, milliseconds
     * @param searchWindowMs how far before the target a long region's cut is searched, milliseconds
     * @param detection thresholds and durations
     * @param vad the model (shared; each segmenter takes its own stream)
     * @param sink receives each segment as soon as it is cut, in order
     */
    public SpeechSegmenter(
            long targetMs,
            long searchWindowMs,
            SpeechDetection detection,
            SileroVad vad,
            Consumer<Segmenter.Segment> sink) {
        this.detection = detection;
        this.targetSamples = targetMs * RATE / 1000;
        this.searchSamples = Math.max(WINDOW, searchWindowMs * RATE / 1000);
        this.padSamples = detection.padMs() * RATE / 1000;
        this.minSpeechSamples = detection.minSpeechMs() * RATE / 1000;
        this.minSilenceSamples = detection.minSilenceMs() * RATE / 1000;
        this.maxPauseSamples = detection.maxPauseMs() * RATE / 1000;
        this.sink = sink;
        this.vad = vad.stream(this::window);
    }

    @Override
    public void accept(byte[] data, int offset, int length) {
        if (finished) {
            throw new IllegalStateException("segmenter already finished");
        }
        if (length == 0) {
            return;
        }
        // Whole samples only; an odd byte waits for its partner.
        byte[] bytes = data;
        int from = offset;
        int n = length;
        if (oddByte >= 0) {
            bytes = new byte[length + 1];
            bytes[0] = (byte) oddByte;
            System.arraycopy(data, offset, bytes, 1, length);
            from = 0;
            n = length + 1;
            oddByte = -1;
        }
        if (n % 2 == 1) {
            oddByte = bytes[from + n - 1] & 0xff;
            n--;
        }
        int samples = n / 2;
        ensureBuffer(buffered + n);
        System.arraycopy(bytes, from, buffer, buffered, n);
        buffered += n;
        received += samples;
        if (floats.length < samples) {
            floats = new float[samples];
        }
        for (int i = 0; i < samples; i++) {
            int lo = bytes[from + 2 * i] & 0xff;
            int hi = bytes[from + 2 * i + 1];
            floats[i] = (short) ((hi << 8) | lo) / 32768f;
        }
        // Calls window(..) for each window of every full block.
        vad.accept(floats, 0, samples);
        trim();
    }

    @Override
    public long finish() {
        finished = true;
        vad.finish();
        long total = received;
        if (triggered && isSpeech(total)) {
            addRegion(Math.max(0, speechStart - padSamples), total);
        }
        triggered = false;
        emitOpen();
        return total;
    }

    // One window's probability: silero's state machine, then the segment decisions.
    private void window(long w, float p) {
        long sample = w * WINDOW;
        keepProbability(w, p);
        if (p >= detection.threshold() && tempEnd != 0) {
            tempEnd = 0;
        }
        if (p >= detection.threshold() && !triggered) {
            triggered = true;
            speechStart = sample;
            speechWindows = 0;
        }
        if (triggered && p >= detection.confidence()) {
            speechWindows++;
        }
        if (triggered && p < detection.negativeThreshold()) {
            if (tempEnd == 0) {
                tempEnd = sample;
            }
            if (sample - tempEnd >= minSilenceSamples) {
                if (isSpeech(tempEnd)) {
                    addRegion(Math.max(0, speechStart - padSamples), tempEnd + padSamples);
                }
                triggered = false;
                tempEnd = 0;
            }
        }
        decide(Math.min(sample + WINDOW, received));
    }

    // After the window ending at `position`: emit the open segment when nothing more can join it,
    // and cut speech that has reached the target.
    private void decide(long position) {
        while (true) {
            long candidate = triggered ? Math.max(0, speechStart - padSamples) : -1;
            if (!regions.isEmpty()) {
                long segStart = regions.get(0)[0];
                long segEnd = regions.get(regions.size() - 1)[1];
                // A later region starts at position - pad at the earliest.
                long earliest = triggered ? candidate : position - padSamples;
                if (earliest - segEnd > maxPauseSamples || position - segStart > targetSamples) {
                    emitOpen();
                    continue;
                }
                return;
            }
            if (triggered && position - candidate > targetSamples) {
                long cut = cutPoint(candidate, candidate + targetSamples);
                regions.add(new long[] {candidate, cut});
                emitOpen();
                // The speech goes on from the cut, unpadded (and is speech, however short).
                speechStart = cut + padSamples;
                speechWindows = minSpeechSamples / WINDOW + 1;
                if (tempEnd != 0 && tempEnd <= cut) {
                    tempEnd = 0;
                }
                continue;
            }
            return;
        }
    }

    // silero keeps speech longer than minSpeech from start to end; short bursts of music or noise
    // joined by dips shorter than minSilence pass that, so the windows of sure speech must also add
    // up to minSpeech.
    private boolean isSpeech(long end) {
        return end - speechStart > minSpeechSamples && speechWindows * WINDOW >= minSpeechSamples;
    }

    private void addRegion(long start, long end) {
        if (!regions.isEmpty()) {
            long segStart = regions.get(0)[0];
            long segEnd = regions.get(regions.size() - 1)[1];
            start = Math.max(start, segEnd);
            if (start - segEnd > maxPauseSamples || end - segStart > targetSamples) {
                emitOpen();
            }
        }
        if (regions.isEmpty()) {
            end = Math.min(end, start + targetSamples);
        }
        regions.add(new long[] {start, end});
    }

    // The least speech-like place in [to - search, to]: the middle of the longest run of windows
    // below the end-of-speech threshold, else the least likely window.
    private long cutPoint(long from, long to) {
        long lo = Math.max(from + padSamples + WINDOW, to - searchSamples);
        long firstW = (lo + WINDOW - 1) / WINDOW;
        long lastW = to / WINDOW - 1;
        long bestStart = -1;
        long bestLength = 0;
        long runStart = -1;
        long minW = -1;
        float min = Float.MAX_VALUE;
        for (long w = firstW; w <= lastW + 1; w++) {
            boolean quiet = false;
            if (w <= lastW) {
                float p = probability(w);
                quiet = p < detection.negativeThreshold();
                if (p <= min) {
                    min = p;
                    minW = w;
                }
            }
            if (quiet && runStart < 0) {
                runStart = w;
            } else if (!quiet && runStart >= 0) {
                if (w - runStart >= bestLength) {
                    bestLength = w - runStart;
                    bestStart = runStart;
                }
                runStart = -1;
            }
        }
        if (bestStart >= 0) {
            return (bestStart * WINDOW + (bestStart + bestLength) * WINDOW) / 2;
        }
        if (minW >= 0) {
            return minW * WINDOW + WINDOW / 2;
        }
        return to;
    }

    private void emitOpen() {
        if (regions.isEmpty()) {
            return;
        }
        long start = regions.get(0)[0];
        long end = Math.min(regions.get(regions.size() - 1)[1], received);
        SpeechRegion[] speech = new SpeechRegion[regions.size()];
        for (int i = 0; i < speech.length; i++) {
            long[] r = regions.get(i);
            speech[i] = new SpeechRegion(ms(r[0]), ms(Math.min(r[1], end)));
        }
        regions.clear();
        int from = (int) (start - bufferStart) * 2;
        byte[] pcm = Arrays.copyOfRange(buffer, from, (int) (end - bufferStart) * 2);
        sink.accept(new Segmenter.Segment(nextIndex++, start, pcm, speech));
    }

    private static long ms(long sample) {
        return sample * 1000 / RATE;
    }

    private void keepProbability(long w, float p) {
        if (probCount == 0) {
            probsStart = w;
        }
        if (probCount == probs.length) {
            probs = Arrays.copyOf(probs, probs.length * 2);
        }
        probs[probCount++] = p;
    }

    private float probability(long w) {
        int i = (int) (w - probsStart);
        return i >= 0 && i < probCount ? probs[i] : 0f;
    }

    // Drops audio and probabilities that no segment can use any more.
    private void trim() {
        long keep;
        if (!regions.isEmpty()) {
            keep = regions.get(0)[0];
        } else if (triggered) {
            keep = Math.max(0, speechStart - padSamples);
        } else {
            // A later region starts at the next window less the padding, at the earliest.
            keep = Math.max(0, vad.windows() * WINDOW - padSamples);
        }
        keep = Math.min(keep, received);
        if (keep > bufferStart) {
            int drop = (int) (keep - bufferStart) * 2;
            System.arraycopy(buffer, drop, buffer, 0, buffered - drop);
            buffered -= drop;
            bufferStart = keep;
        }
        long keepWindow = keep / WINDOW;
        if (probCount > 0 && keepWindow > probsStart) {
            int drop = (int) Math.min(probCount, keepWindow - probsStart);
            System.arraycopy(probs, drop, probs, 0, probCount - drop);
            probCount -= drop;
            probsStart += drop;
        }
    }

    private void ensureBuffer(int bytes) {
        if (buffer.length < bytes) {
            buffer = Arrays.copyOf(buffer, Math.max(bytes, buffer.length * 2));
        }
    }
}
