package dev.omniscribe.udfs;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Groups records into batches of up to {@code batchSize} for a {@link BatchFunction}.
 *
 * <p>With a lookahead of 1, a batch is the records in arrival order, handed over when it is full.
 * With a lookahead of {@code k > 1}, up to {@code k × batchSize} records are held and a batch is
 * formed of records of similar {@link Length length}: when the buffer is full, the {@code
 * batchSize} longest leave together. A batched generation costs about its longest row, so batches
 * of like rows carry more audio per unit of work.
 *
 * <p>No record waits longer than {@code maxWaitMs} (processing time) once the operator is free:
 * when the oldest record's wait is up, it leaves with the records next shorter than it (or all, if
 * fewer than a batch are held). Everything held is handed over, longest first, at the end of input
 * and before every checkpoint barrier, so no record sits in the buffer across a checkpoint and the
 * buffer needs no state. Within a batch, records keep their arrival order.
 */
public final class MicroBatchOperator<IN, OUT>
        extends AbstractUdfStreamOperator<OUT, BatchFunction<IN, OUT>>
        implements OneInputStreamOperator<IN, OUT>, BoundedOneInput, ProcessingTimeCallback {

    /** How long a record is for batching purposes (for segments: their sample count). */
    @FunctionalInterface
    public interface Length<T> extends Serializable {
        long of(T record);
    }

    private final int batchSize;
    private final long maxWaitMs;
    private final int lookahead;
    private final Length<IN> length;

    /** A held record, in arrival order ({@code seq}), with its arrival time. */
    private record Held<T>(T value, long seq, long arrivedMs, long length) {}

    private transient List<Held<IN>> buffer;
    private transient TimestampedCollector<OUT> collector;
    private transient long timerDeadline;
    private transient long nextSeq;

    /** Batches in arrival order (a lookahead of 1). */
    public MicroBatchOperator(BatchFunction<IN, OUT> function, int batchSize, long maxWaitMs) {
        this(function, batchSize, maxWaitMs, 1, record -> 0);
    }

    /**
     * @param function handles each batch
     * @param batchSize most records per batch, at least 1
     * @param maxWaitMs longest wait of a record in milliseconds before it is handed over in a
     *     partial batch; 0 waits for a full buffer or the end of input
     * @param lookahead batches' worth of records held to group by length, at least 1
     * @param length each record's length
     */
    public MicroBatchOperator(
            BatchFunction<IN, OUT> function,
            int batchSize,
            long maxWaitMs,
            int lookahead,
            Length<IN> length) {
        super(function);
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        if (lookahead < 1) {
            throw new IllegalArgumentException(
                    "batch lookahead must be at least 1, got " + lookahead);
        }
        this.batchSize = batchSize;
        this.maxWaitMs = maxWaitMs;
        this.lookahead = lookahead;
        this.length = length;
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new ArrayList<>(batchSize * lookahead);
        collector = new TimestampedCollector<>(output);
        timerDeadline = -1;
        nextSeq = 0;
    }

    @Override
    public void processElement(StreamRecord<IN> element) throws Exception {
        IN value = element.getValue();
        long now = getProcessingTimeService().getCurrentProcessingTime();
        buffer.add(new Held<>(value, nextSeq++, now, length.of(value)));
        if (buffer.size() >= batchSize * lookahead) {
            handOver(longest());
        }
        armTimer();
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        timerDeadline = -1;
        while (!buffer.isEmpty() && buffer.get(0).arrivedMs() + maxWaitMs <= time) {
            handOver(withOldest());
        }
        armTimer();
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    private void flush() throws Exception {
        while (!buffer.isEmpty()) {
            handOver(longest());
        }
    }

    /** The timer for the oldest record's deadline, unless one fires at or before it. */
    private void armTimer() {
        if (buffer.isEmpty() || maxWaitMs <= 0) {
            return;
        }
        long deadline = buffer.get(0).arrivedMs() + maxWaitMs;
        if (timerDeadline >= 0 && timerDeadline <= deadline) {
            return;
        }
        timerDeadline = deadline;
        getProcessingTimeService().registerTimer(deadline, this);
    }

    /** Held records, longest first (ties: oldest first). */
    private List<Held<IN>> byLength() {
        List<Held<IN>> sorted = new ArrayList<>(buffer);
        sorted.sort(
                Comparator.comparingLong((Held<IN> h) -> h.length())
                        .reversed()
                        .thenComparingLong(Held::seq));
        return sorted;
    }

    /** The batch of the longest held records (all of them with a lookahead of 1). */
    private List<Held<IN>> longest() {
        List<Held<IN>> sorted = byLength();
        return new ArrayList<>(sorted.subList(0, Math.min(batchSize, sorted.size())));
    }

    /** The batch of the oldest record and the records next shorter than it. */
    private List<Held<IN>> withOldest() {
        if (buffer.size() <= batchSize) {
            return new ArrayList<>(buffer);
        }
        List<Held<IN>> sorted = byLength();
        int at = sorted.indexOf(buffer.get(0));
        int from = Math.max(0, Math.min(at, sorted.size() - batchSize));
        return new ArrayList<>(sorted.subList(from, from + batchSize));
    }

    private void handOver(List<Held<IN>> chosen) throws Exception {
        buffer.removeAll(chosen);
        chosen.sort(Comparator.comparingLong(Held::seq));
        List<IN> batch = new ArrayList<>(chosen.size());
        for (Held<IN> h : chosen) {
            batch.add(h.value());
        }
        collector.eraseTimestamp();
        userFunction.processBatch(batch, collector);
    }
}
