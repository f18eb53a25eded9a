package dev.omniscribe.udfs.guard;

/**
 * Finds where generated tokens fall into a loop: one run of {@code n} tokens ({@code n} up to
 * {@value #MAX_UNIT}) repeated back to back at least {@value #MIN_REPEATS} times and over at least
 * {@value #MIN_TOKENS} tokens (a single token 20 times, a pair 10 times, five or more tokens 4
 * times). Real speech repeats words a few times ("no, no, no"); a model in a loop repeats until its
 * budget runs out, so the thresholds sit well above the first and well below the second.
 */
public final class RepetitionLoop {

    /** Longest repeated run of tokens looked for. */
    public static final int MAX_UNIT = 50;

    /** Fewest back-to-back copies of the run. */
    public static final int MIN_REPEATS = 4;

    /** Fewest tokens the copies cover together. */
    public static final int MIN_TOKENS = 20;

    private RepetitionLoop() {}

    /**
     * Where the earliest loop in {@code ids} begins to repeat: the index just after the first copy
     * of the repeated run (the text up to there keeps one copy), or -1 when there is no loop.
     */
    public static int cutAt(int[] ids) {
        int n = ids.length;
        for (int start = 0; start < n; start++) {
            for (int unit = 1; unit <= MAX_UNIT && start + unit * MIN_REPEATS <= n; unit++) {
                int needed = Math.max(MIN_REPEATS, (MIN_TOKENS + unit - 1) / unit);
                if (start + unit * needed > n) {
                    continue;
                }
                int copies = 1;
                while (copies < needed && same(ids, start, start + copies * unit, unit)) {
                    copies++;
                }
                if (copies >= needed) {
                    return start + unit;
                }
            }
        }
        return -1;
    }

    private static boolean same(int[] ids, int a, int b, int length) {
        for (int i = 0; i < length; i++) {
            if (ids[a + i] != ids[b + i]) {
                return false;
            }
        }
        return true;
    }
}
