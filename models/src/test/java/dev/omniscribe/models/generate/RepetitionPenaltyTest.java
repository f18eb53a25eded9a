package dev.omniscribe.models.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class RepetitionPenaltyTest {

    @Test
    void dividesPositiveAndMultipliesNegativeLogitsOfSeenIdsOnly() {
        RepetitionPenalty p = new RepetitionPenalty(2.0, 5, new int[] {1, 1, 2});
        p.add(4);
        FloatBuffer row = FloatBuffer.wrap(new float[] {9, 4, 4, -3, 0, 7});

        p.apply(row, 1); // row of 5 logits starting at index 1

        assertThat(row.array()).containsExactly(9f, 4f, 2f, -6f, 0f, 3.5f);
    }

    @Test
    void penaltyOfOneLeavesLogitsUntouched() {
        RepetitionPenalty p = new RepetitionPenalty(1.0, 3, new int[] {0, 1, 2});
        FloatBuffer row = FloatBuffer.wrap(new float[] {-1, 0.5f, 2});
        p.apply(row, 0);
        assertThat(row.array()).containsExactly(-1f, 0.5f, 2f);
    }
}
