package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.OrderedMergeFunction;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;

/**
 * Prints a running job's progress in the submitting process, where the user is: files and audio
 * hours done, speed (audio time per wall time) and, when the total is known, an ETA by bytes. The
 * figures are the job's accumulators ({@link OrderedMergeFunction#FILES_DONE} and the others),
 * asked of its {@link JobClient}: over Flink's REST API on a cluster ({@code flink run}), from the
 * mini cluster when embedded. Task managers send accumulators with their heartbeats, so the figures
 * lag by up to {@code heartbeat.interval}.
 *
 * <p>On a terminal one line is rewritten every second; otherwise a plain line is printed every 10 s
 * when something changed. {@link #finish} prints the final figures.
 */
final class JobProgress implements AutoCloseable {

    private final JobClient job;
    private final long totalFiles;
    private final long totalBytes;
    private final PrintStream out;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService poller;
    private Figures printed;

    /**
     * The figures of one moment.
     *
     * @param done files transcribed
     * @param failed files that failed
     * @param audioMs milliseconds of audio in the files transcribed
     * @param bytes bytes of the files finished
     */
    record Figures(long done, long failed, long audioMs, long bytes) {

        static final Figures NONE = new Figures(0, 0, 0, 0);

        static Figures of(Map<String, Object> accumulators) {
            return new Figures(
                    number(accumulators, OrderedMergeFunction.FILES_DONE),
                    number(accumulators, OrderedMergeFunction.FILES_FAILED),
                    number(accumulators, OrderedMergeFunction.AUDIO_MS_DONE),
                    number(accumulators, OrderedMergeFunction.BYTES_DONE));
        }

        private static long number(Map<String, Object> accumulators, String name) {
            Object v = accumulators.get(name);
            return v instanceof Number n ? n.longValue() : 0;
        }
    }

    private JobProgress(
            JobClient job, long totalFiles, long totalBytes, PrintStream out, boolean terminal) {
        this.job = job;
        this.totalFiles = totalFiles;
        this.totalBytes = totalBytes;
        this.out = out;
        this.terminal = terminal;
        this.poller =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "job-progress");
                            t.setDaemon(true);
                            return t;
                        });
    }

    /**
     * Starts printing {@code job}'s progress.
     *
     * @param totalFiles files the job will process, or 0 if unknown
     * @param totalBytes their total size in bytes, or 0 if unknown
     * @param terminal whether {@code out} is a terminal (one line rewritten in place)
     */
    static JobProgress start(
            JobClient job, long totalFiles, long totalBytes, PrintStream out, boolean terminal) {
        JobProgress p = new JobProgress(job, totalFiles, totalBytes, out, terminal);
        long period = terminal ? 1 : 10;
        p.poller.scheduleWithFixedDelay(p::poll, period, period, TimeUnit.SECONDS);
        return p;
    }

    private void poll() {
        Map<String, Object> accumulators;
        try {
            accumulators = job.getAccumulators().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Not running yet, or finished meanwhile: the next poll or finish() prints.
            return;
        }
        Figures f = Figures.of(accumulators);
        synchronized (this) {
            if (!terminal && f.equals(printed)) {
                return;
            }
            print(f, false);
        }
    }

    /** Stops polling and prints the final figures from the finished job's accumulators. */
    void finish(Map<String, Object> accumulators) {
        poller.shutdownNow();
        Figures f = Figures.of(accumulators);
        synchronized (this) {
            if (f.done() + f.failed() > 0 || printed != null) {
                print(f, true);
            }
        }
    }

    private void print(Figures f, boolean end) {
        printed = f;
        String line = line(f, totalFiles, totalBytes, (System.nanoTime() - startNanos) / 1e9);
        if (terminal) {
            out.print("\r" + line + (end ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** {@code [progress] 3/10 files (1 failed), 0.25 h audio, 120x real time, ETA 0:01:10}. */
    static String line(Figures f, long totalFiles, long totalBytes, double elapsedSeconds) {
        StringBuilder sb = new StringBuilder("[progress] ");
        sb.append(f.done() + f.failed());
        if (totalFiles > 0) {
            sb.append('/').append(totalFiles);
        }
        sb.append(" files");
        if (f.failed() > 0) {
            sb.append(" (").append(f.failed()).append(" failed)");
        }
        sb.append(String.format(Locale.ROOT, ", %.2f h audio", f.audioMs() / 3.6e6));
        if (elapsedSeconds > 0) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            ", %.0fx real time",
                            f.audioMs() / 1000.0 / elapsedSeconds));
        }
        if (totalBytes > 0 && f.bytes() > 0 && f.bytes() < totalBytes) {
            long eta = Math.round(elapsedSeconds * (totalBytes - f.bytes()) / f.bytes());
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
    public void close() {
        poller.shutdownNow();
    }
}
