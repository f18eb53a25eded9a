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

    /** Emits every batch it receives, its records in the order given. */
    private static final class Batches implements BatchFunction<Integer, List<Integer>> {
        @Override
        public void processBatch(List<Integer> batch, Collector<List<Integer>> out) {
            out.collect(List.copyOf(batch));
        }
    }

    /** Batches by length (a record's length is its value) with the given lookahead. */
    private static OneInputStreamOperatorTestHarness<Integer, List<Integer>> grouping(
            int batchSize, long waitMs, int lookahead) throws Exception {
        var h =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchOperator<>(
                                new Batches(), batchSize, waitMs, lookahead, Integer::longValue));
        h.open();
        return h;
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

    @Test
    void formsBatchesOfSimilarLengthFromTheHeldRecords() throws Exception {
        try (var h = grouping(2, 0, 3)) {
            for (int v : new int[] {30, 5, 29, 6, 28}) {
                h.processElement(v, 0);
            }
            assertThat(h.extractOutputValues()).isEmpty();
            h.processElement(7, 0); // six held: the two longest leave, in arrival order
            assertThat(h.extractOutputValues()).containsExactly(List.of(30, 29));
            h.processElement(27, 0);
            assertThat(h.extractOutputValues()).containsExactly(List.of(30, 29));
            h.processElement(4, 0);
            assertThat(h.extractOutputValues()).containsExactly(List.of(30, 29), List.of(28, 27));
            h.endInput(); // the rest, longest first
            assertThat(h.extractOutputValues())
                    .containsExactly(
                            List.of(30, 29), List.of(28, 27), List.of(6, 7), List.of(5, 4));
        }
    }

    @Test
    void anOverdueRecordLeavesWithTheRecordsNextShorterThanIt() throws Exception {
        try (var h = grouping(2, 500, 4)) {
            h.setProcessingTime(0);
            h.processElement(20, 0); // the oldest: due at 500
            h.setProcessingTime(100);
            for (int v : new int[] {30, 25, 19}) {
                h.processElement(v, 0);
            }
            h.setProcessingTime(200);
            h.processElement(10, 0);
            h.setProcessingTime(499);
            assertThat(h.extractOutputValues()).isEmpty();
            h.setProcessingTime(500);
            assertThat(h.extractOutputValues()).containsExactly(List.of(20, 19));
            h.setProcessingTime(600); // the next oldest (30) is due at 600, with 25
            assertThat(h.extractOutputValues()).containsExactly(List.of(20, 19), List.of(30, 25));
            h.setProcessingTime(700);
            assertThat(h.extractOutputValues())
                    .containsExactly(List.of(20, 19), List.of(30, 25), List.of(10));
        }
    }

    @Test
    void theShortestOverdueRecordTakesTheShortestBatch() throws Exception {
        try (var h = grouping(2, 500, 4)) {
            h.setProcessingTime(0);
            h.processElement(3, 0);
            h.setProcessingTime(100);
            for (int v : new int[] {30, 10, 25}) {
                h.processElement(v, 0);
            }
            h.setProcessingTime(500); // 3 is the shortest: it leaves with the next longer, 10
            assertThat(h.extractOutputValues()).containsExactly(List.of(3, 10));
        }
    }
}
