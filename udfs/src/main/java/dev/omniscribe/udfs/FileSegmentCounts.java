package dev.omniscribe.udfs;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.accumulators.Accumulator;

/**
 * An accumulator of segments per file id, for the progress of single files in a long-running job
 * (the service's). Each task keeps the {@value #FILES_KEPT} files it counted last, so the counts of
 * a job that never ends stay bounded; a file's count is only needed while it is in flight.
 */
public final class FileSegmentCounts implements Accumulator<String, HashMap<String, Integer>> {

    /** Files each task keeps a count for, most recently counted first to go last. */
    public static final int FILES_KEPT = 4096;

    private static final long serialVersionUID = 1L;

    private LinkedHashMap<String, Integer> counts = newMap();

    private static LinkedHashMap<String, Integer> newMap() {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                return size() > FILES_KEPT;
            }
        };
    }

    /** Counts one segment of {@code fileId}. */
    @Override
    public void add(String fileId) {
        counts.merge(fileId, 1, Integer::sum);
    }

    /** Segments counted per file id. */
    @Override
    public HashMap<String, Integer> getLocalValue() {
        return new HashMap<>(counts);
    }

    @Override
    public void resetLocal() {
        counts.clear();
    }

    @Override
    public void merge(Accumulator<String, HashMap<String, Integer>> other) {
        ((FileSegmentCounts) other).counts.forEach((k, v) -> counts.merge(k, v, Integer::sum));
    }

    @Override
    public FileSegmentCounts clone() {
        FileSegmentCounts c = new FileSegmentCounts();
        c.counts.putAll(counts);
        return c;
    }
}
