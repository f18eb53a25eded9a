package dev.omniscribe.udfs;

import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A histogram of durations that reports seconds, Prometheus' base unit, although Flink histograms
 * take whole numbers: {@link #update(long)} takes microseconds; quantiles, mean and standard
 * deviation come out in seconds. Minimum, maximum and {@link HistogramStatistics#getValues()} must
 * be whole numbers: they are whole seconds, rounded up. (Flink's Prometheus reporter exports the
 * quantiles and the count.)
 */
final class SecondsHistogram implements Histogram {

    private static final double MICROS_PER_SECOND = 1e6;

    private final DescriptiveStatisticsHistogram micros;

    /** Keeps the last {@code window} samples. */
    SecondsHistogram(int window) {
        this.micros = new DescriptiveStatisticsHistogram(window);
    }

    /** Adds one duration, in microseconds. */
    @Override
    public void update(long durationMicros) {
        micros.update(durationMicros);
    }

    @Override
    public long getCount() {
        return micros.getCount();
    }

    @Override
    public HistogramStatistics getStatistics() {
        HistogramStatistics s = micros.getStatistics();
        return new HistogramStatistics() {
            @Override
            public double getQuantile(double quantile) {
                return s.getQuantile(quantile) / MICROS_PER_SECOND;
            }

            @Override
            public long[] getValues() {
                long[] v = s.getValues();
                long[] seconds = new long[v.length];
                for (int i = 0; i < v.length; i++) {
                    seconds[i] = ceilSeconds(v[i]);
                }
                return seconds;
            }

            @Override
            public int size() {
                return s.size();
            }

            @Override
            public double getMean() {
                return s.getMean() / MICROS_PER_SECOND;
            }

            @Override
            public double getStdDev() {
                return s.getStdDev() / MICROS_PER_SECOND;
            }

            @Override
            public long getMax() {
                return ceilSeconds(s.getMax());
            }

            @Override
            public long getMin() {
                return ceilSeconds(s.getMin());
            }
        };
    }

    private static long ceilSeconds(long micros) {
        return (micros + 999_999) / 1_000_000;
    }
}
