package dev.omniscribe.udfs;

import java.util.List;
import org.apache.flink.api.common.functions.Function;
import org.apache.flink.util.Collector;

/**
 * A function that handles its input in micro-batches; run it with {@link MicroBatchOperator}.
 * Implementations that extend {@code AbstractRichFunction} get {@code open(OpenContext)} and {@code
 * close()} called as usual.
 */
public interface BatchFunction<IN, OUT> extends Function {

    /** Handles one batch (never empty), emitting any number of outputs. */
    void processBatch(List<IN> batch, Collector<OUT> out) throws Exception;
}
