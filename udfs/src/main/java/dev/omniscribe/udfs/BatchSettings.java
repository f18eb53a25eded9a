package dev.omniscribe.udfs;

import java.io.Serializable;

/**
 * How segments are grouped into one batched generation ({@link MicroBatchOperator}).
 *
 * @param size most segments per batch
 * @param waitMs longest time a partial batch waits for more segments, in milliseconds
 */
public record BatchSettings(int size, long waitMs) implements Serializable {

    /** Segments per batch unless configured. */
    public static final int DEFAULT_SIZE = 4;

    /** Longest wait of a partial batch unless configured, in milliseconds. */
    public static final long DEFAULT_WAIT_MS = 1_000;

    public static final BatchSettings DEFAULTS = new BatchSettings(DEFAULT_SIZE, DEFAULT_WAIT_MS);

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
    }
}
