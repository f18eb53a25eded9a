package dev.omniscribe.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

class MicroBatchOperatorTest {

    /** Emits the size of every batch it receives. */
    private static final class BatchSizes implements BatchFunction<Integer, Integer> {
        @Override
        public void processBatch(List<Integer> batch, Collector<Integer> out) {
            out.collect(batch.size());
        }
    }

    private static OneInputStreamOperatorTestHarness<Integer, Integer> harness(
            int batchSize, long waitMs) throws Exception {
        var h =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchOperator<>(new BatchSizes(), batchSize, waitMs));
        h.open();
        return h;
    }

    @Test
    void handsOverFullBatchesAndTheRestAtEndOfInput() throws Exception {
        try (var h = harness(4, 0)) {
            for (int i = 0; i < 10; i++) {
                h.processElement(i, 0);
            }
            assertThat(h.extractOutputValues()).containsExactly(4, 4);
            h.endInput();
            assertThat(h.extractOutputValues()).containsExactly(4, 4, 2);
        }
    }

    @Test
    void handsOverAPartialBatchAfterTheWaitTime() throws Exception {
        try (var h = harness(8, 500)) {
            h.setProcessingTime(1_000);
            h.processElement(1, 0);
            h.processElement(2, 0);
            h.setProcessingTime(1_400);
            assertThat(h.extractOutputValues()).isEmpty();
            h.setProcessingTime(1_500);
            assertThat(h.extractOutputValues()).containsExactly(2);
        }
    }

    @Test
    void handsOverThePartialBatchBeforeACheckpointBarrier() throws Exception {
        try (var h = harness(8, 0)) {
            h.processElement(1, 0);
            h.prepareSnapshotPreBarrier(1);
            assertThat(h.extractOutputValues()).containsExactly(1);
        }
    }

    @Test
    void aStaleTimerDoesNotCutTheNextBatchShort() throws Exception {
        List<Integer> expected = new ArrayList<>(List.of(2));
        try (var h = harness(2, 500)) {
            h.setProcessingTime(0);
            h.processElement(1, 0);
            h.processElement(2, 0); // full: handed over, its timer is now stale
            h.setProcessingTime(400);
            h.processElement(3, 0); // new batch, deadline 900
            h.setProcessingTime(500);
            assertThat(h.extractOutputValues()).isEqualTo(expected);
            h.setProcessingTime(900);
            expected.add(1);
            assertThat(h.extractOutputValues()).isEqualTo(expected);
        }
    }
}
