package dev.omniscribe.udfs.audio;

import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.SpeechRegion;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts a stream of 16 kHz mono s16le PCM into segments at silences, as the audio arrives.
 *
 * <p>Audio is buffered until it reaches the target length; the cut then falls in the middle of the
 * quietest stretch of the search window before the target (100 ms windows of 10 ms frames; among
 * windows within 10% of the quietest, the longest run wins, the later one on ties; audio that is
 * evenly loud throughout is cut at the target). Cuts fall on 10 ms boundaries, so segment times are
 * exact in milliseconds. Segments tile the input: every sample belongs to exactly one segment.
 * Memory is bounded by the target length, whatever the input length.
 *
 * <p>Not thread-safe; one instance per file.
 */
public final class Segmenter implements AudioSegmenter {

    /** Input sample rate in Hz. */
    public static final int SAMPLE_RATE = 16_000;

    /** Samples per analysis frame (10 ms). */
    static final int FRAME = SAMPLE_RATE / 100;

    /** Frames per quietness window (100 ms). */
    static final int WINDOW_FRAMES = 10;

    /**
     * A finished segment.
     *
     * @param index position in the file (or the channel), from 0
     * @param startSample first sample, counted from the start of the file
     * @param pcm the samples, s16le
     * @param speech where speech lies in it (in the file, ms, in order); the whole segment when
     *     speech is not detected
     */
    public record Segment(int index, long startSample, byte[] pcm, SpeechRegion[] speech) {
        public long endSample() {
            return startSample + pcm.length / 2;
        }

        public long startMs() {
            return startSample * 1000 / SAMPLE_RATE;
        }

        public long endMs() {
            return endSample() * 1000 / SAMPLE_RATE;
        }
    }

    private final int targetSamples;
    private final int searchSamples;
    private final Consumer<Segment> sink;
    private final byte[] buffer; // pending samples, s16le
    private int buffered; // bytes in buffer
    private long bufferStartSample;
    private int nextIndex;
    private boolean finished;

    /**
     * @param settings target length and search window
     * @param sink receives each segment as soon as it is cut, in order
     */
    public Segmenter(SegmentationSettings settings, Consumer<Segment> sink) {
        this.targetSamples = (int) (settings.targetMs() * SAMPLE_RATE / 1000);
        this.searchSamples =
                Math.max(
                        WINDOW_FRAMES * FRAME,
                        (int) (settings.searchWindowMs() * SAMPLE_RATE / 1000));
        this.sink = sink;
        this.buffer = new byte[targetSamples * 2];
    }

    @Override
    public void accept(byte[] data, int offset, int length) {
        if (finished) {
            throw new IllegalStateException("segmenter already finished");
        }
        while (length > 0) {
            int n = Math.min(length, buffer.length - buffered);
            System.arraycopy(data, offset, buffer, buffered, n);
            buffered += n;
            offset += n;
            length -= n;
            if (buffered == buffer.length) {
                cut();
            }
        }
    }

    @Override
    public long finish() {
        finished = true;
        int samples = buffered / 2;
        if (samples > 0) {
            emit(samples);
        }
        return bufferStartSample;
    }

    /** Samples emitted so far. */
    public long emittedSamples() {
        return bufferStartSample;
    }

    // The buffer holds exactly targetSamples: cut in the quietest stretch of the search window.
    private void cut() {
        int searchStart = targetSamples - searchSamples;
        int firstFrame = (searchStart + FRAME - 1) / FRAME;
        int frames = targetSamples / FRAME - firstFrame;
        int cutSample;
        if (frames < WINDOW_FRAMES) {
            cutSample = (targetSamples / FRAME) * FRAME;
        } else {
            cutSample = quietestCut(firstFrame, frames);
        }
        if (cutSample <= 0) {
            cutSample = targetSamples;
        }
        emit(cutSample);
    }

    private int quietestCut(int firstFrame, int frames) {
        // Energy of each 10 ms frame in the search window.
        long[] energy = new long[frames];
        for (int f = 0; f < frames; f++) {
            int base = (firstFrame + f) * FRAME * 2;
            long e = 0;
            for (int i = 0; i < FRAME; i++) {
                int lo = buffer[base + 2 * i] & 0xff;
                int hi = buffer[base + 2 * i + 1];
                int s = (short) ((hi << 8) | lo);
                e += (long) s * s;
            }
            energy[f] = e;
        }
        // Energy of each 100 ms window, by its first frame.
        int windows = frames - WINDOW_FRAMES + 1;
        long[] windowEnergy = new long[windows];
        long acc = 0;
        for (int f = 0; f < frames; f++) {
            acc += energy[f];
            if (f >= WINDOW_FRAMES) {
                acc -= energy[f - WINDOW_FRAMES];
            }
            if (f >= WINDOW_FRAMES - 1) {
                windowEnergy[f - WINDOW_FRAMES + 1] = acc;
            }
        }
        long min = Arrays.stream(windowEnergy).min().orElse(0);
        long quiet = min + min / 10;
        // The longest run of quiet windows; later runs win ties.
        int bestStart = 0;
        int bestLength = 0;
        int runStart = -1;
        for (int w = 0; w <= windows; w++) {
            boolean isQuiet = w < windows && windowEnergy[w] <= quiet;
            if (isQuiet && runStart < 0) {
                runStart = w;
            } else if (!isQuiet && runStart >= 0) {
                int length = w - runStart;
                if (length >= bestLength) {
                    bestLength = length;
                    bestStart = runStart;
                }
                runStart = -1;
            }
        }
        // Evenly loud throughout (no pause to find): cut at the target, keeping segments long.
        if (bestStart == 0 && bestLength == windows) {
            return (targetSamples / FRAME) * FRAME;
        }
        // The middle of the run's span: its first window's start to its last window's end.
        int spanFrames = bestLength - 1 + WINDOW_FRAMES;
        int middleFrame = firstFrame + bestStart + spanFrames / 2;
        return middleFrame * FRAME;
    }

    private void emit(int samples) {
        byte[] pcm = Arrays.copyOf(buffer, samples * 2);
        long start = bufferStartSample;
        long startMs = start * 1000 / SAMPLE_RATE;
        long endMs = (start + samples) * 1000 / SAMPLE_RATE;
        Segment s =
                new Segment(
                        nextIndex++,
                        start,
                        pcm,
                        new SpeechRegion[] {new SpeechRegion(startMs, endMs)});
        int rest = buffered - samples * 2;
        System.arraycopy(buffer, samples * 2, buffer, 0, rest);
        buffered = rest;
        bufferStartSample += samples;
        sink.accept(s);
    }
}
