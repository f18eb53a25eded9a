package dev.omniscribe.udfs.sink;

import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import java.io.IOException;
import java.util.LinkedHashMap;
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
    private final LinkedHashMap<String, Object> options;

    /**
     * @param layout where outputs go and which formats are written
     * @param options the job's options as written into each JSON output
     */
    public TranscriptSink(OutputLayout layout, Map<String, Object> options) {
        this.layout = layout;
        this.options = new LinkedHashMap<>(options);
    }

    @Override
    public SinkWriter<FileTranscript> createWriter(WriterInitContext context) {
        return new Writer(layout, options, context.metricGroup().counter("transcriptsWritten"));
    }

    private static final class Writer implements SinkWriter<FileTranscript> {
        private final OutputLayout layout;
        private final Map<String, Object> options;
        private final Counter written;

        Writer(OutputLayout layout, Map<String, Object> options, Counter written) {
            this.layout = layout;
            this.options = options;
            this.written = written;
        }

        @Override
        public void write(FileTranscript t, Context context) throws IOException {
            if (t.failed()) {
                return;
            }
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
