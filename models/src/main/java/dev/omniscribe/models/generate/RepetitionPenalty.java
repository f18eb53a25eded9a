package dev.omniscribe.models.generate;

import java.nio.FloatBuffer;

/**
 * transformers' {@code RepetitionPenaltyLogitsProcessor} for one sequence: every token id seen so
 * far (prompt, audio placeholders included, and generated tokens) has its logit multiplied by the
 * penalty when negative and divided by it otherwise. A penalty of 1 does nothing.
 *
 * <p>Mutable (it remembers the ids seen); one per sequence, not thread-safe.
 */
public final class RepetitionPenalty {

    private final float penalty;
    private final boolean[] seen;
    private int[] ids = new int[64];
    private int count;

    /**
     * @param penalty the penalty, > 0; 1 disables it
     * @param vocab vocabulary size (logit row length)
     * @param prompt prompt ids the penalty starts from
     */
    public RepetitionPenalty(double penalty, int vocab, int[] prompt) {
        if (!(penalty > 0)) {
            throw new IllegalArgumentException(
                    "repetition penalty must be positive, got " + penalty);
        }
        this.penalty = (float) penalty;
        this.seen = new boolean[vocab];
        for (int id : prompt) {
            add(id);
        }
    }

    /** Records a generated token. */
    public void add(int id) {
        if (id < 0 || id >= seen.length || seen[id]) {
            return;
        }
        seen[id] = true;
        if (count == ids.length) {
            ids = java.util.Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = id;
    }

    /**
     * Applies the penalty in place.
     *
     * @param logits a buffer holding the row at {@code offset}
     * @param offset index of the row's first logit
     */
    public void apply(FloatBuffer logits, int offset) {
        if (penalty == 1f) {
            return;
        }
        for (int i = 0; i < count; i++) {
            int at = offset + ids[i];
            float v = logits.get(at);
            logits.put(at, v < 0 ? v * penalty : v / penalty);
        }
    }
}
