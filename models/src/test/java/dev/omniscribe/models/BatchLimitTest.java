package dev.omniscribe.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BatchLimitTest {

    @Test
    void thirtySecondPromptsOfTheFullModelFit119RowsUnder32BitIndexing() {
        // 28 heads, 800-token prompts: 119 × 28 × 800² < 2^31 <= 120 × 28 × 800².
        assertThat(BatchLimit.INT32_INDEXING.maxRows(28, 800)).isEqualTo(119);
        int[] batch128 = new int[128];
        Arrays.fill(batch128, 800);
        assertThat(BatchLimit.INT32_INDEXING.groupSizes(28, batch128)).containsExactly(64, 64);
    }

    @Test
    void groupsAreConsecutiveAndSizedByTheirLongestPrompt() {
        BatchLimit limit = new BatchLimit(2 * 10 * 10); // two rows of 10 tokens at 1 head
        assertThat(limit.groupSizes(1, new int[] {5, 5, 5, 5, 5, 5, 5, 5, 10, 10, 10}))
                .containsExactly(8, 2, 1);
        assertThat(limit.groupSizes(1, new int[] {10, 5, 5, 5})).containsExactly(2, 2);
    }

    @Test
    void unevenPromptsFallBackToFillingEachGroup() {
        BatchLimit limit = new BatchLimit(2 * 10 * 10);
        // Equal halves (3 + 3) would put two 10-token rows with a third row: filled groups instead.
        assertThat(limit.groupSizes(1, new int[] {10, 10, 5, 5, 5, 5})).containsExactly(2, 4);
    }

    @Test
    void aRowOverTheLimitRunsAlone() {
        BatchLimit limit = new BatchLimit(50);
        assertThat(limit.groupSizes(1, new int[] {20, 3, 20})).containsExactly(1, 1, 1);
        assertThat(limit.maxRows(1, 20)).isEqualTo(1);
    }

    @Test
    void aBatchWithinTheLimitIsOneGroup() {
        assertThat(BatchLimit.INT32_INDEXING.groupSizes(28, new int[] {800, 700, 64}))
                .containsExactly(3);
        assertThat(BatchLimit.INT32_INDEXING.groupSizes(28, new int[0])).isEmpty();
    }

    @Test
    void refusesANonPositiveLimit() {
        assertThatThrownBy(() -> new BatchLimit(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
    }
}
