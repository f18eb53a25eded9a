package dev.omniscribe.udfs.sink;

import dev.omniscribe.udfs.FileOptions;
import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.JobMetrics;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import java.io.IOException;
import java.util.Map;
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

    /**
     * @param layout where outputs go and which formats are written; each JSON output records the
     *     options its file was transcribed with ({@link FileOptions#recorded()})
     */
    public TranscriptSink(OutputLayout layout) {
        this.layout = layout;
    }

    @Override
    public SinkWriter<FileTranscript> createWriter(WriterInitContext context) {
        return new Writer(
                layout,
                JobMetrics.group(context.metricGroup()).counter(JobMetrics.TRANSCRIPTS_WRITTEN));
    }

    private static final class Writer implements SinkWriter<FileTranscript> {
        private final OutputLayout layout;
        private final Counter written;

        Writer(OutputLayout layout, Counter written) {
            this.layout = layout;
            this.written = written;
        }

        @Override
        public void write(FileTranscript t, Context context) throws IOException {
            if (t.failed()) {
                return;
            }
            Map<String, Object> options = t.options().recorded();
            // JSON last: its presence marks a transcript whose other formats are in place.
            for (OutputFormat f : layout.formats()) {
                if (f != OutputFormat.JSON) {
                    AtomicFiles.write(
                            layout.storage(),
                            layout.outputFor(t.relativePath(), f),
                            f.render(t, options));
                }
            }
            if (layout.formats().contains(OutputFormat.JSON)) {
                OutputFormat f = OutputFormat.JSON;
                AtomicFiles.write(
                        layout.storage(),
                        layout.outputFor(t.relativePath(), f),
                        f.render(t, options));
            }
            written.inc();
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
    }
}
