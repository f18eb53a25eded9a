package dev.omniscribe.udfs.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.format.OutputLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.fs.Path;

/**
 * Lists the files that failed in {@code <output>/_failures.jsonl}, one JSON object per line: {@code
 * {"file": ..., "stage": "decode" | "transcribe", "error": ...}}, sorted by file.
 *
 * <p>The list describes this run: it is rewritten atomically at every flush (checkpoints and end of
 * input), and a stale list from an earlier run is deleted when nothing failed. Run this sink with
 * parallelism 1 so that one writer owns the file.
 */
public final class FailureSink implements Sink<FileTranscript> {

    private final OutputLayout layout;

    public FailureSink(OutputLayout layout) {
        this.layout = layout;
    }

    @Override
    public SinkWriter<FileTranscript> createWriter(WriterInitContext context) {
        if (context.getTaskInfo().getNumberOfParallelSubtasks() != 1) {
            throw new IllegalStateException("FailureSink must run with parallelism 1");
        }
        return new Writer(layout);
    }

    /** The JSON line for one failed file. */
    public static String line(FileTranscript t) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("file", t.relativePath());
        o.put("stage", t.failedStage());
        o.put("error", t.error());
        try {
            return MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final class Writer implements SinkWriter<FileTranscript> {
        private final OutputLayout layout;
        private final Path file;
        private final List<FileTranscript> failures = new ArrayList<>();
        private boolean dirty;

        Writer(OutputLayout layout) {
            this.layout = layout;
            this.file = layout.failuresFile();
        }

        @Override
        public void write(FileTranscript t, Context context) {
            if (t.failed()) {
                failures.add(t);
                dirty = true;
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException {
            if (!failures.isEmpty() && dirty) {
                StringBuilder sb = new StringBuilder();
                failures.stream()
                        .sorted(Comparator.comparing(FileTranscript::relativePath))
                        .forEach(f -> sb.append(line(f)).append('\n'));
                AtomicFiles.write(layout.storage(), file, sb.toString());
                dirty = false;
            } else if (failures.isEmpty() && endOfInput) {
                layout.storage().fileSystem(file).delete(file, false);
            }
        }

        @Override
        public void close() {}
    }
}
