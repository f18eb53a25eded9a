package dev.omniscribe.pipeline;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Prints progress: files and audio hours done, speed (audio time per wall time) and, when the total
 * is known, an ETA by bytes. On a terminal one line is rewritten in place; otherwise a plain line
 * is printed at most every 10 s and at the end. Run with parallelism 1.
 */
public final class ProgressSink implements Sink<FileOutcome> {

    private final long totalFiles;
    private final long totalBytes;

    /**
     * @param totalFiles files the job will process, or 0 if unknown
     * @param totalBytes their total size in bytes, or 0 if unknown
     */
    public ProgressSink(long totalFiles, long totalBytes) {
        this.totalFiles = totalFiles;
        this.totalBytes = totalBytes;
    }

    @Override
    public SinkWriter<FileOutcome> createWriter(WriterInitContext context) {
        return new Writer(totalFiles, totalBytes, System.out, System.console() != null);
    }

    static final class Writer implements SinkWriter<FileOutcome> {
        private final long totalFiles;
        private final long totalBytes;
        private final PrintStream out;
        private final boolean terminal;
        private final long startNanos = System.nanoTime();
        private long files;
        private long failed;
        private long bytes;
        private long audioMs;
        private long lastPrintNanos;
        private long printedFiles = -1;

        Writer(long totalFiles, long totalBytes, PrintStream out, boolean terminal) {
            this.totalFiles = totalFiles;
            this.totalBytes = totalBytes;
            this.out = out;
            this.terminal = terminal;
        }

        @Override
        public void write(FileOutcome o, Context context) {
            files++;
            bytes += o.sizeBytes();
            audioMs += o.durationMs();
            if (o.failed()) {
                failed++;
            }
            long now = System.nanoTime();
            long interval = terminal ? 200_000_000L : 10_000_000_000L;
            if (now - lastPrintNanos >= interval || files == totalFiles) {
                lastPrintNanos = now;
                print(false);
            }
        }

        private void print(boolean end) {
            printedFiles = files;
            String line = line((System.nanoTime() - startNanos) / 1e9);
            if (terminal) {
                out.print("\r" + line + (end ? "\n" : ""));
            } else {
                out.println(line);
            }
            out.flush();
        }

        String line(double elapsedSeconds) {
            StringBuilder sb = new StringBuilder("[progress] ");
            sb.append(files);
            if (totalFiles > 0) {
                sb.append('/').append(totalFiles);
            }
            sb.append(" files");
            if (failed > 0) {
                sb.append(" (").append(failed).append(" failed)");
            }
            sb.append(String.format(Locale.ROOT, ", %.2f h audio", audioMs / 3.6e6));
            if (elapsedSeconds > 0) {
                sb.append(
                        String.format(
                                Locale.ROOT,
                                ", %.0fx real time",
                                audioMs / 1000.0 / elapsedSeconds));
            }
            if (totalBytes > 0 && bytes > 0 && bytes < totalBytes) {
                long eta = Math.round(elapsedSeconds * (totalBytes - bytes) / bytes);
                Duration d = Duration.ofSeconds(eta);
                sb.append(
                        String.format(
                                Locale.ROOT,
                                ", ETA %d:%02d:%02d",
                                d.toHours(),
                                d.toMinutesPart(),
                                d.toSecondsPart()));
            }
            return sb.toString();
        }

        @Override
        public void flush(boolean endOfInput) {
            if (endOfInput && files > 0) {
                if (printedFiles != files) {
                    print(true);
                } else if (terminal) {
                    out.println();
                }
            }
        }

        @Override
        public void close() {}
    }
}
