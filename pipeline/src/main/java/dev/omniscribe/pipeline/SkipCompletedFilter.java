package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.AudioFile;
import dev.omniscribe.udfs.JobMetrics;
import dev.omniscribe.udfs.format.OutputLayout;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.metrics.Counter;

/**
 * Drops inputs whose outputs are all present (a rerun picks up where the last one stopped). Metric
 * {@value JobMetrics#FILES_SKIPPED}.
 */
public final class SkipCompletedFilter extends RichFilterFunction<AudioFile> {

    private final OutputLayout layout;
    private transient Counter skipped;

    public SkipCompletedFilter(OutputLayout layout) {
        this.layout = layout;
    }

    @Override
    public void open(OpenContext openContext) {
        skipped =
                JobMetrics.group(getRuntimeContext().getMetricGroup())
                        .counter(JobMetrics.FILES_SKIPPED);
    }

    @Override
    public boolean filter(AudioFile file) throws Exception {
        if (layout.isComplete(file.relativePath())) {
            skipped.inc();
            return false;
        }
        return true;
    }
}
