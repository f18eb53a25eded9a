package dev.omniscribe.udfs.sink;

import dev.omniscribe.udfs.FileOptions;
import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.JobMetrics;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.format.Provenance;
import java.io.IOException;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;

/**
 * Writes each successful transcript as {@code <output>/<relative path>.<format>} for every
 * configured format. Each file appears atomically (temporary name, then rename; on S3 the object
 * appears whole when its upload completes); a transcript is complete once all of its formats exist.
 * Failed transcripts are ignored here (see {@link FailureSink}).
 */
public final class TranscriptSink implements Sink<FileTranscript> {

    private final OutputLayout layout;
    private final String modelDir;

    /**
     * @param layout where outputs go and which formats are written
     * @param modelDir the model folder the job transcribes with, as the task managers see it; each
     *     JSON output records its {@code model.json}'s hash and the options its file was
     *     transcribed with ({@link Provenance}, {@link FileOptions#recorded()})
     */
    public TranscriptSink(OutputLayout layout, String modelDir) {
        this.layout = layout;
        this.modelDir = modelDir;
    }

    @Override
    public SinkWriter<FileTranscript> createWriter(WriterInitContext context) {
        return new Writer(
                layout,
                Provenance.modelSha256(modelDir),
                JobMetrics.group(context.metricGroup()).counter(JobMetrics.TRANSCRIPTS_WRITTEN));
    }

    private static final class Writer implements SinkWriter<FileTranscript> {
        private final OutputLayout layout;
        private final String modelSha256;
        private final Counter written;

        Writer(OutputLayout layout, String modelSha256, Counter written) {
            this.layout = layout;
            this.modelSha256 = modelSha256;
            this.written = written;
        }

        @Override
        public void write(FileTranscript t, Context context) throws IOException {
            if (t.failed()) {
                return;
            }
            Provenance provenance = new Provenance(modelSha256, t.options().recorded());
            // JSON last: its presence marks a transcript whose other formats are in place.
            for (OutputFormat f : layout.formats()) {
                if (f != OutputFormat.JSON) {
                    AtomicFiles.write(
                            layout.storage(),
                            layout.outputFor(t.relativePath(), f),
                            f.render(t, provenance));
                }
            }
            if (layout.formats().contains(OutputFormat.JSON)) {
                OutputFormat f = OutputFormat.JSON;
                AtomicFiles.write(
                        layout.storage(),
                        layout.outputFor(t.relativePath(), f),
                        f.render(t, provenance));
            }
            written.inc();
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
    }
}
