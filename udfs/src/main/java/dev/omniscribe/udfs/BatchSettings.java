package dev.omniscribe.udfs;

import java.io.Serializable;

/**
 * How segments are grouped into one batched generation ({@link MicroBatchOperator}).
 *
 * @param size most segments per batch
 * @param waitMs longest time a segment waits for a batch to leave with, in milliseconds
 * @param lookahead batches' worth of segments held to form batches of similar length (1: batches in
 *     arrival order)
 */
public record BatchSettings(int size, long waitMs, int lookahead) implements Serializable {

    /** Segments per batch on the CPU unless configured. */
    public static final int DEFAULT_SIZE = 4;

    /**
     * Segments per batch on a GPU unless configured: on an H200 a batch of 32 half-minute segments
     * runs at ~11x the audio seconds per second of batch 1, in ~31 GiB (fp16) or ~20 GiB (int4).
     */
    public static final int DEFAULT_GPU_SIZE = 32;

    /**
     * Batches' worth of segments a batch job holds to group them by length unless configured: a
     * batch costs its longest segment, and files end in short ones.
     */
    public static final int DEFAULT_LOOKAHEAD = 4;

    /** Longest wait of a partial batch unless configured, in milliseconds. */
    public static final long DEFAULT_WAIT_MS = 1_000;

    public static final BatchSettings DEFAULTS =
            new BatchSettings(DEFAULT_SIZE, DEFAULT_WAIT_MS, DEFAULT_LOOKAHEAD);

    /**
     * Longest wait of a partial batch where a person waits for the answer (the HTTP service), in
     * milliseconds: long enough for concurrent requests' segments to meet, short against a
     * segment's generation.
     */
    public static final long INTERACTIVE_WAIT_MS = 20;

    public BatchSettings {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + size);
        }
        if (waitMs < 0) {
            throw new IllegalArgumentException("batch wait must be >= 0 ms, got " + waitMs);
        }
        if (lookahead < 1) {
            throw new IllegalArgumentException(
                    "batch lookahead must be at least 1 (1: no grouping by length), got "
                            + lookahead);
        }
    }

    /** Batches in arrival order (no grouping by length). */
    public BatchSettings(int size, long waitMs) {
        this(size, waitMs, 1);
    }
}
