package dev.omniscribe.udfs;

import dev.omniscribe.models.Languages;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Collects one file's transcribed segments (keyed by file id) and emits the file's transcript once
 * all of them are in, in index order, whatever order they arrived in. The file's record count is
 * known from the record flagged {@code last}. A file with any failed record becomes a failed
 * transcript (the first failure by index). State for the file is cleared when it is emitted. A
 * file's end record (speech detection, split channels) gives its duration and no segment; the
 * transcript's segments are in time order (channel, then index, on ties), which is index order when
 * channels are mixed.
 *
 * <p>Accumulators {@value #FILES_DONE}, {@value #FILES_FAILED}, {@value #AUDIO_MS_DONE} and {@value
 * #BYTES_DONE} (for the submitting command's progress); metrics {@value JobMetrics#FILES_DONE} and
 * {@value JobMetrics#FILES_FAILED} ({@link JobMetrics}).
 */
public final class OrderedMergeFunction
        extends KeyedProcessFunction<String, TranscribedSegment, FileTranscript> {

    public static final String FILES_DONE = "filesDone";
    public static final String FILES_FAILED = "filesFailed";

    /** Accumulator: milliseconds of audio in the files transcribed. */
    public static final String AUDIO_MS_DONE = "audioMillisecondsDone";

    /** Accumulator: bytes of the input files finished, transcribed or failed. */
    public static final String BYTES_DONE = "bytesDone";

    private transient MapState<Integer, TranscribedSegment> received;
    private transient ValueState<Integer> expected;
    private transient ValueState<Integer> count;
    private transient Counter done;
    private transient Counter failed;

    @Override
    public void open(OpenContext openContext) {
        received =
                getRuntimeContext()
                        .getMapState(
                                new MapStateDescriptor<>(
                                        "received",
                                        Types.INT,
                                        TypeInformation.of(TranscribedSegment.class)));
        expected = getRuntimeContext().getState(new ValueStateDescriptor<>("expected", Types.INT));
        count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.INT));
        var metrics = JobMetrics.group(getRuntimeContext().getMetricGroup());
        done = metrics.counter(JobMetrics.FILES_DONE);
        failed = metrics.counter(JobMetrics.FILES_FAILED);
        getRuntimeContext().getIntCounter(FILES_DONE);
        getRuntimeContext().getIntCounter(FILES_FAILED);
        getRuntimeContext().getLongCounter(AUDIO_MS_DONE);
        getRuntimeContext().getLongCounter(BYTES_DONE);
    }

    @Override
    public void processElement(
            TranscribedSegment segment, Context ctx, Collector<FileTranscript> out)
            throws Exception {
        // A record seen twice (replayed after a restore) counts once.
        if (!received.contains(segment.index())) {
            Integer n = count.value();
            count.update(n == null ? 1 : n + 1);
        }
        received.put(segment.index(), segment);
        if (segment.last()) {
            expected.update(segment.index() + 1);
        }
        Integer total = expected.value();
        if (total == null || count.value() < total) {
            return;
        }
        List<TranscribedSegment> ordered = new ArrayList<>(total);
        for (TranscribedSegment s : received.values()) {
            ordered.add(s);
        }
        ordered.sort(Comparator.comparingInt(TranscribedSegment::index));
        received.clear();
        expected.clear();
        count.clear();
        FileTranscript t = merge(ordered);
        if (t.failed()) {
            failed.inc();
            getRuntimeContext().getIntCounter(FILES_FAILED).add(1);
        } else {
            done.inc();
            getRuntimeContext().getIntCounter(FILES_DONE).add(1);
            getRuntimeContext().getLongCounter(AUDIO_MS_DONE).add(t.durationMs());
        }
        getRuntimeContext().getLongCounter(BYTES_DONE).add(t.sizeBytes());
        out.collect(t);
    }

    /** The transcript of a complete, index-ordered list of one file's segments. */
    static FileTranscript merge(List<TranscribedSegment> ordered) {
        TranscribedSegment first = ordered.get(0);
        TranscribedSegment lastSegment = ordered.get(ordered.size() - 1);
        String model = null;
        long tokenCount = 0;
        TranscribedSegment firstFailure = null;
        for (TranscribedSegment s : ordered) {
            if (s.model() != null && model == null) {
                model = s.model();
            }
            tokenCount += s.tokens();
            if (s.failed() && firstFailure == null) {
                firstFailure = s;
            }
        }
        String language = first.options().generation().language();
        if (language == null) {
            language =
                    ordered.stream()
                            .map(TranscribedSegment::language)
                            .filter(java.util.Objects::nonNull)
                            .findFirst()
                            .orElse(Languages.UNKNOWN);
        }
        if (firstFailure != null) {
            return new FileTranscript(
                    first.fileId(),
                    first.relativePath(),
                    first.sizeBytes(),
                    lastSegment.endMs(),
                    model,
                    tokenCount,
                    new TranscriptSegment[0],
                    firstFailure.failedStage(),
                    firstFailure.error(),
                    first.options(),
                    language);
        }
        TranscriptSegment[] segments =
                ordered.stream()
                        .filter(s -> !s.isEnd())
                        .map(
                                s ->
                                        new TranscriptSegment(
                                                s.index(),
                                                s.startMs(),
                                                s.endMs(),
                                                s.text(),
                                                s.finish(),
                                                s.retry(),
                                                s.channel(),
                                                s.speech()))
                        .sorted(
                                Comparator.comparingLong(TranscriptSegment::startMs)
                                        .thenComparingInt(TranscriptSegment::channel)
                                        .thenComparingInt(TranscriptSegment::index))
                        .toArray(TranscriptSegment[]::new);
        return new FileTranscript(
                first.fileId(),
                first.relativePath(),
                first.sizeBytes(),
                lastSegment.endMs(),
                model,
                tokenCount,
                segments,
                null,
                null,
                first.options(),
                language);
    }
}
