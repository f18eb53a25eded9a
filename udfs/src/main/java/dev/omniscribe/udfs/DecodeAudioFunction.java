package dev.omniscribe.udfs;

import dev.omniscribe.udfs.audio.AudioDecoder;
import dev.omniscribe.udfs.audio.DecodeException;
import dev.omniscribe.udfs.audio.FfmpegBinaries;
import dev.omniscribe.udfs.audio.Segmenter;
import dev.omniscribe.udfs.fs.Storage;
import java.io.IOException;
import java.io.InputStream;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes each audio file with ffmpeg and cuts it at silences into {@link SegmentRecord}s, while
 * the audio streams in: memory holds at most one segment plus the one being filled, whatever the
 * file's length.
 *
 * <p>Segments are emitted as soon as they are cut, one behind, so that the last one can carry
 * {@code last}. A file that cannot be decoded (empty, corrupt, not media, no audio stream, no
 * samples) ends with a failure record instead of failing the job; segments emitted before a
 * mid-file failure stay, and the merge drops them.
 *
 * <p>Metrics ({@link JobMetrics}): files decoded, decode failures, segments cut, audio seconds.
 * Accumulator {@value #SEGMENTS_DECODED}: records emitted, failure records included; {@value
 * #SEGMENTS_DECODED_BY_FILE}: the same per file ({@link FileSegmentCounts}).
 */
public final class DecodeAudioFunction extends ProcessFunction<AudioFile, SegmentRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeAudioFunction.class);

    private final FileOptions defaults;
    private final String ffmpegDir;
    private final Storage storage;

    private transient AudioDecoder decoder;
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
    public void processElement(AudioFile file, Context ctx, Collector<SegmentRecord> out)
            throws Exception {
        FileOptions options = file.options() != null ? file.options() : defaults;
        OneBehind emitter = new OneBehind(file, options, out);
        Segmenter segmenter = new Segmenter(options.segmentation(), emitter::add);
        org.apache.flink.core.fs.Path path = FlinkPaths.of(file.path());
        try (AudioDecoder.Session session = decoder.open(path, storage.fileSystem(path))) {
            InputStream pcm = session.pcm();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = pcm.read(buf)) >= 0) {
                segmenter.accept(buf, 0, n);
            }
            session.awaitSuccess();
            long samples = segmenter.finish();
            if (samples == 0) {
                throw new DecodeException("no audio samples decoded from " + file.relativePath());
            }
            emitter.finish();
            filesDecoded.inc();
        } catch (DecodeException | IOException e) {
            LOG.warn("decode failed for {}: {}", file.relativePath(), e.getMessage());
            decodeFailures.inc();
            emitter.fail(e.getMessage());
        }
    }

    // Holds one segment back so that the file's last segment can be flagged.
    private final class OneBehind {
        private final AudioFile file;
        private final FileOptions options;
        private final Collector<SegmentRecord> out;
        private Segmenter.Segment pending;

        OneBehind(AudioFile file, FileOptions options, Collector<SegmentRecord> out) {
            this.file = file;
            this.options = options;
            this.out = out;
        }

        void add(Segmenter.Segment s) {
            if (pending != null) {
                emit(pending, false);
            }
            pending = s;
        }

        void finish() {
            emit(pending, true);
            pending = null;
        }

        void fail(String error) {
            int index = 0;
            if (pending != null) {
                emit(pending, false);
                index = pending.index() + 1;
                pending = null;
            }
            out.collect(SegmentRecord.failure(file, options, index, error));
            emitted.add(1L);
            emittedByFile.add(file.path());
        }

        private void emit(Segmenter.Segment s, boolean last) {
            out.collect(
                    new SegmentRecord(
                            file.path(),
                            file.relativePath(),
                            file.sizeBytes(),
                            s.index(),
                            s.startMs(),
                            s.endMs(),
                            s.pcm(),
                            last,
                            null,
                            options));
            segments.inc();
            emitted.add(1L);
            emittedByFile.add(file.path());
            audioMs += s.endMs() - s.startMs();
        }
    }
}
