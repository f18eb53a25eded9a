package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.AudioFile;
import dev.omniscribe.udfs.FileOptions;
import dev.omniscribe.udfs.JobMetrics;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.format.Provenance;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.metrics.Counter;

/**
 * Drops inputs whose outputs are all present and were made by this job's model with its options
 * ({@link OutputLayout#check}): a rerun picks up where the last one stopped and redoes what another
 * model or other options made. Metric {@value JobMetrics#FILES_SKIPPED}.
 */
public final class SkipCompletedFilter extends RichFilterFunction<AudioFile> {

    private final OutputLayout layout;
    private final String modelDir;
    private final FileOptions options;
    private transient Provenance expected;
    private transient Counter skipped;

    /**
     * @param layout the outputs to look for
     * @param modelDir the job's model folder (its {@code model.json} is hashed on the task manager)
     * @param options the options the job transcribes with
     */
    public SkipCompletedFilter(OutputLayout layout, String modelDir, FileOptions options) {
        this.layout = layout;
        this.modelDir = modelDir;
        this.options = options;
    }

    @Override
    public void open(OpenContext openContext) {
        expected = Provenance.of(modelDir, options);
        skipped =
                JobMetrics.group(getRuntimeContext().getMetricGroup())
                        .counter(JobMetrics.FILES_SKIPPED);
    }

    @Override
    public boolean filter(AudioFile file) throws Exception {
        if (layout.check(file.relativePath(), expected) == OutputLayout.Existing.CURRENT) {
            skipped.inc();
            return false;
        }
        return true;
    }
}
