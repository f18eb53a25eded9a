package dev.omniscribe.models;

import java.util.ArrayList;
import java.util.List;

/**
 * How many rows one batched generation may take together, from the size of its largest tensor.
 *
 * <p>The prefill's attention scores hold {@code rows × heads × prompt × prompt} elements (prompts
 * left-padded to the longest of the batch). ONNX Runtime's CUDA kernels index a tensor with 32-bit
 * integers, so that count must stay below 2^31: at 28 heads and 30 s segments (~800-token prompts)
 * that is 119 rows, and a batch of 128 aborts the process (CUDA error 700, illegal memory access).
 * A larger batch runs as several generations in order, each within the limit; a row is never split.
 *
 * @param maxScoreElements most elements of one generation's prefill attention scores, at least 1
 */
public record BatchLimit(long maxScoreElements) {

    /** The limit of 32-bit tensor indexing (ONNX Runtime's CUDA kernels). */
    public static final BatchLimit INT32_INDEXING = new BatchLimit(Integer.MAX_VALUE);

    public BatchLimit {
        if (maxScoreElements < 1) {
            throw new IllegalArgumentException(
                    "the prefill's score elements limit must be at least 1, got "
                            + maxScoreElements);
        }
    }

    /**
     * Splits rows, in order, into consecutive groups that each fit the limit: as few groups as
     * consecutive grouping allows, of equal sizes where those fit (128 rows of 800 tokens at 28
     * heads: 64 and 64, not 119 and 9).
     *
     * @param heads the decoder's attention heads
     * @param promptLengths each row's prompt length in tokens
     * @return the size of each group, in order; they add up to the number of rows
     */
    public List<Integer> groupSizes(int heads, int[] promptLengths) {
        List<Integer> greedy = greedyGroups(heads, promptLengths);
        int groups = greedy.size();
        if (groups <= 1) {
            return greedy;
        }
        List<Integer> even = new ArrayList<>(groups);
        int n = promptLengths.length;
        int from = 0;
        for (int g = 0; g < groups; g++) {
            int size = (n - from + (groups - g) - 1) / (groups - g);
            long longest = 0;
            for (int i = from; i < from + size; i++) {
                longest = Math.max(longest, promptLengths[i]);
            }
            if (size > 1 && scores(size, heads, longest) > maxScoreElements) {
                return greedy;
            }
            even.add(size);
            from += size;
        }
        return even;
    }

    /** The fewest consecutive groups, each filled as far as the limit allows. */
    private List<Integer> greedyGroups(int heads, int[] promptLengths) {
        List<Integer> sizes = new ArrayList<>();
        int size = 0;
        long longest = 0;
        for (int length : promptLengths) {
            long padded = Math.max(longest, length);
            if (size > 0 && scores(size + 1, heads, padded) > maxScoreElements) {
                sizes.add(size);
                size = 0;
                padded = length;
            }
            size++;
            longest = padded;
        }
        if (size > 0) {
            sizes.add(size);
        }
        return sizes;
    }

    /**
     * The most rows of prompts of {@code promptLength} tokens that fit together (at least 1).
     *
     * @param heads the decoder's attention heads
     */
    public int maxRows(int heads, int promptLength) {
        long perRow = scores(1, heads, promptLength);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxScoreElements / perRow));
    }

    private static long scores(int rows, int heads, long promptLength) {
        return (long) rows * heads * promptLength * promptLength;
    }
}
