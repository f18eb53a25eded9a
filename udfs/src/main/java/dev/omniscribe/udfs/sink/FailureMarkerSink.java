package dev.omniscribe.udfs.sink;

import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.format.OutputLayout;
import java.io.IOException;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Marks each failed input at once with {@code <output>/<relative path>.failed.json}, holding its
 * {@link FailureSink#line} (file, stage, error), written atomically. For a job that never ends (the
 * service's resident job), where {@link FailureSink}'s list would appear only at checkpoints: a
 * waiting caller sees either the transcript or this marker as soon as the file is done.
 */
public final class FailureMarkerSink implements Sink<FileTranscript> {

    private final OutputLayout layout;

    public FailureMarkerSink(OutputLayout layout) {
        this.layout = layout;
    }

    @Override
    public SinkWriter<FileTranscript> createWriter(WriterInitContext context) {
        return new SinkWriter<>() {
            @Override
            public void write(FileTranscript t, Context c) throws IOException {
                if (t.failed()) {
                    AtomicFiles.write(
                            layout.storage(),
                            layout.failureMarkerFor(t.relativePath()),
                            FailureSink.line(t) + "\n");
                }
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
