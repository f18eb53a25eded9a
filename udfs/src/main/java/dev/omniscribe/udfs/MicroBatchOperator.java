package dev.omniscribe.udfs;

import java.util.ArrayList;
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
 * <p>A batch is handed over when it is full, when its first record has waited {@code maxWaitMs}
 * (processing time), at the end of input, and before every checkpoint barrier, so no record sits in
 * the buffer across a checkpoint and the buffer needs no state.
 */
public final class MicroBatchOperator<IN, OUT>
        extends AbstractUdfStreamOperator<OUT, BatchFunction<IN, OUT>>
        implements OneInputStreamOperator<IN, OUT>, BoundedOneInput, ProcessingTimeCallback {

    private final int batchSize;
    private final long maxWaitMs;

    private transient List<IN> buffer;
    private transient TimestampedCollector<OUT> collector;
    private transient long timerDeadline;

    /**
     * @param function handles each batch
     * @param batchSize most records per batch, at least 1
     * @param maxWaitMs longest wait of a partial batch in milliseconds; 0 waits for a full batch or
     *     the end of input
     */
    public MicroBatchOperator(BatchFunction<IN, OUT> function, int batchSize, long maxWaitMs) {
        super(function);
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.batchSize = batchSize;
        this.maxWaitMs = maxWaitMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new ArrayList<>(batchSize);
        collector = new TimestampedCollector<>(output);
        timerDeadline = -1;
    }

    @Override
    public void processElement(StreamRecord<IN> element) throws Exception {
        buffer.add(element.getValue());
        if (buffer.size() >= batchSize) {
            flush();
        } else if (buffer.size() == 1 && maxWaitMs > 0) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            timerDeadline = now + maxWaitMs;
            getProcessingTimeService().registerTimer(timerDeadline, this);
        }
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        // A timer of a batch that was already handed over is stale.
        if (time >= timerDeadline && timerDeadline >= 0) {
            flush();
        }
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
        timerDeadline = -1;
        if (buffer.isEmpty()) {
            return;
        }
        List<IN> batch = buffer;
        buffer = new ArrayList<>(batchSize);
        collector.eraseTimestamp();
        userFunction.processBatch(batch, collector);
    }
}
