package dev.omniscribe.udfs;

import dev.omniscribe.udfs.audio.AudioDecoder;
import dev.omniscribe.udfs.audio.AudioSegmenter;
import dev.omniscribe.udfs.audio.DecodeException;
import dev.omniscribe.udfs.audio.FfmpegBinaries;
import dev.omniscribe.udfs.audio.Segmenter;
import dev.omniscribe.udfs.audio.SileroVad;
import dev.omniscribe.udfs.audio.SpeechSegmenter;
import dev.omniscribe.udfs.fs.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes each audio file with ffmpeg and cuts it into {@link SegmentRecord}s, while the audio
 * streams in: memory holds at most one segment plus the one being filled (and, with speech
 * detection, one block of its input), whatever the file's length. With speech detection (the
 * default, {@link SegmentationSettings#speechDetection()}) segments are the speech Silero VAD finds
 * ({@link SpeechSegmenter}); without it, the whole audio cut at silences ({@link Segmenter}). With
 * split channels each channel is cut on its own and its segments carry its number.
 *
 * <p>Segments are emitted as soon as they are cut, one behind, so that the last one can carry
 * {@code last}. A file that cannot be decoded (empty, corrupt, not media, no audio stream, no
 * samples) ends with a failure record instead of failing the job; segments emitted before a
 * mid-file failure stay, and the merge drops them.
 *
 * <p>Metrics ({@link JobMetrics}): files decoded, decode failures, segments cut, audio seconds
 * decoded (speech or not). Accumulator {@value #SEGMENTS_DECODED}: records emitted, failure records
 * included; {@value #SEGMENTS_DECODED_BY_FILE}: the same per file ({@link FileSegmentCounts}).
 */
public final class DecodeAudioFunction extends ProcessFunction<AudioFile, SegmentRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeAudioFunction.class);

    private final FileOptions defaults;
    private final String ffmpegDir;
    private final Storage storage;

    private transient AudioDecoder decoder;
    private transient SileroVad vad;
    private transient Counter filesDecoded;
    private transient Counter decodeFailures;
    private transient Counter segments;
    private transient volatile long audioMs;
    private transient LongCounter emitted;
    private transient FileSegmentCounts emittedByFile;

    /** Accumulator: segment records emitted (failure records included), for job progress. */
    public static final String SEGMENTS_DECODED = "segmentsDecoded";

    /** Accumulator: segment records emitted per file id ({@link FileSegmentCounts}). */
    public static final String SEGMENTS_DECODED_BY_FILE = "segmentsDecodedByFile";

    public DecodeAudioFunction(FileOptions defaults, String ffmpegDir) {
        this(defaults, ffmpegDir, Storage.DEFAULT);
    }

    /**
     * @param defaults how files without options of their own are cut and transcribed; the options
     *     travel on with every segment
     * @param ffmpegDir a folder with a system ffmpeg and ffprobe, or null for the bundled ones
     * @param storage how {@code s3a://} files are read
     */
    public DecodeAudioFunction(FileOptions defaults, String ffmpegDir, Storage storage) {
        this.defaults = defaults;
        this.ffmpegDir = ffmpegDir;
        this.storage = storage;
    }

    @Override
    public void open(OpenContext openContext) throws IOException {
        decoder = new AudioDecoder(FfmpegBinaries.resolve(ffmpegDir));
        vad = new SileroVad();
        var metrics = JobMetrics.group(getRuntimeContext().getMetricGroup());
        filesDecoded = metrics.counter(JobMetrics.FILES_DECODED);
        decodeFailures = metrics.counter(JobMetrics.DECODE_FAILURES);
        segments = metrics.counter(JobMetrics.SEGMENTS_CUT);
        metrics.gauge(JobMetrics.AUDIO_SECONDS_DECODED, () -> audioMs / 1000.0);
        emitted = getRuntimeContext().getLongCounter(SEGMENTS_DECODED);
        emittedByFile = new FileSegmentCounts();
        getRuntimeContext().addAccumulator(SEGMENTS_DECODED_BY_FILE, emittedByFile);
    }

    @Override
    public void close() {
        if (vad != null) {
            vad.close();
            vad = null;
        }
    }

    @Override
    public void processElement(AudioFile file, Context ctx, Collector<SegmentRecord> out)
            throws Exception {
        FileOptions options = file.options() != null ? file.options() : defaults;
        SegmentationSettings cuts = options.segmentation();
        boolean split = cuts.channels() == SegmentationSettings.Channels.SPLIT;
        // Files whose segments need not tile the audio end with an end record (their duration).
        boolean endRecord = cuts.speechDetection() || split;
        OneBehind emitter = new OneBehind(file, options, out);
        org.apache.flink.core.fs.Path path = FlinkPaths.of(file.path());
        try (AudioDecoder.Session session = decoder.open(path, storage.fileSystem(path), split)) {
            int channels = session.channels();
            AudioSegmenter[] segmenters = new AudioSegmenter[channels];
            for (int c = 0; c < channels; c++) {
                // A file of one channel is transcribed as mixed: no label.
                int label = channels == 1 ? 0 : c + 1;
                segmenters[c] = segmenter(cuts, s -> emitter.add(s, label));
            }
            InputStream pcm = session.pcm();
            byte[] buf = new byte[64 * 1024];
            byte[][] perChannel = new byte[channels][];
            int frame = 2 * channels;
            int carried = 0; // bytes of an incomplete frame at the start of buf
            int n;
            while ((n = pcm.read(buf, carried, buf.length - carried)) >= 0) {
                int bytes = carried + n;
                int whole = bytes - bytes % frame;
                if (channels == 1) {
                    segmenters[0].accept(buf, 0, whole);
                } else {
                    deinterleave(buf, whole, channels, perChannel, segmenters);
                }
                carried = bytes - whole;
                System.arraycopy(buf, whole, buf, 0, carried);
            }
            session.awaitSuccess();
            long samples = 0;
            for (AudioSegmenter segmenter : segmenters) {
                samples = Math.max(samples, segmenter.finish());
            }
            if (samples == 0) {
                throw new DecodeException("no audio samples decoded from " + file.relativePath());
            }
            audioMs += samples * 1000 / SegmentRecord.SAMPLE_RATE;
            if (endRecord) {
                emitter.end(samples * 1000 / SegmentRecord.SAMPLE_RATE);
            } else {
                emitter.finish();
            }
            filesDecoded.inc();
        } catch (DecodeException | IOException e) {
            LOG.warn("decode failed for {}: {}", file.relativePath(), e.getMessage());
            decodeFailures.inc();
            emitter.fail(e.getMessage());
        }
    }

    private AudioSegmenter segmenter(SegmentationSettings cuts, Consumer<Segmenter.Segment> sink) {
        if (!cuts.speechDetection()) {
            return new Segmenter(cuts, sink);
        }
        return new SpeechSegmenter(
                cuts.targetMs(), cuts.searchWindowMs(), SpeechDetection.DEFAULT, vad, sink);
    }

    // Hands each channel's samples of whole frames to its segmenter.
    private static void deinterleave(
            byte[] buf, int bytes, int channels, byte[][] perChannel, AudioSegmenter[] out) {
        int frames = bytes / (2 * channels);
        for (int c = 0; c < channels; c++) {
            if (perChannel[c] == null || perChannel[c].length < frames * 2) {
                perChannel[c] = new byte[frames * 2];
            }
            byte[] dst = perChannel[c];
            for (int f = 0; f < frames; f++) {
                int src = (f * channels + c) * 2;
                dst[2 * f] = buf[src];
                dst[2 * f + 1] = buf[src + 1];
            }
            out[c].accept(dst, 0, frames * 2);
        }
    }

    // Holds one segment back so that the file's last segment can be flagged.
    private final class OneBehind {
        private final AudioFile file;
        private final FileOptions options;
        private final Collector<SegmentRecord> out;
        private Segmenter.Segment pending;
        private int pendingChannel;
        private int nextIndex;

        OneBehind(AudioFile file, FileOptions options, Collector<SegmentRecord> out) {
            this.file = file;
            this.options = options;
            this.out = out;
        }

        void add(Segmenter.Segment s, int channel) {
            if (pending != null) {
                emit(pending, pendingChannel, false);
            }
            pending = s;
            pendingChannel = channel;
        }

        // The last segment carries `last`: the file's segments tile its audio.
        void finish() {
            emit(pending, pendingChannel, true);
            pending = null;
        }

        // Every segment, then the end record with the file's duration.
        void end(long durationMs) {
            if (pending != null) {
                emit(pending, pendingChannel, false);
                pending = null;
            }
            out.collect(SegmentRecord.end(file, options, nextIndex++, durationMs));
            emitted.add(1L);
            emittedByFile.add(file.path());
        }

        void fail(String error) {
            if (pending != null) {
                emit(pending, pendingChannel, false);
                pending = null;
            }
            out.collect(SegmentRecord.failure(file, options, nextIndex++, error));
            emitted.add(1L);
            emittedByFile.add(file.path());
        }

        // Indices count this file's records, whichever channel they come from.
        private void emit(Segmenter.Segment s, int channel, boolean last) {
            out.collect(
                    new SegmentRecord(
                            file.path(),
                            file.relativePath(),
                            file.sizeBytes(),
                            nextIndex++,
                            s.startMs(),
                            s.endMs(),
                            s.pcm(),
                            last,
                            null,
                            options,
                            channel,
                            s.speech()));
            segments.inc();
            emitted.add(1L);
            emittedByFile.add(file.path());
        }
    }
}
