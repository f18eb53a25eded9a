package dev.omniscribe.submitter.http;

import dev.omniscribe.models.SpeechEngine;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPU memory figures for {@code /health}, taken from the loaded engines' {@link
 * SpeechEngine#gpuMemory()} (the NVIDIA driver's figures, {@code nvidia-smi}) and refreshed in the
 * background every few seconds, so that reading them never waits. ONNX Runtime's Java API reports
 * no allocator figures, so {@code allocated} is the memory this process holds on the engines' GPUs
 * (ONNX Runtime's arena plus the CUDA context) and {@code reserved} the memory in use on those GPUs
 * by all processes. Both are null while no engine runs on a GPU in this process (CPU engines, no
 * engine loaded, engines on a remote cluster) or where the driver's figures are unavailable.
 */
public final class GpuMemoryMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GpuMemoryMonitor.class);
    private static final double BYTES_PER_GB = 1024.0 * 1024 * 1024;
    static final long REFRESH_SECONDS = 5;

    private final Supplier<? extends Collection<? extends SpeechEngine>> engines;
    private final ScheduledExecutorService refresher;
    private volatile Figures figures = Figures.NONE;

    private record Figures(Long allocatedBytes, Long reservedBytes) {
        static final Figures NONE = new Figures(null, null);
    }

    /**
     * @param engines the engines loaded now (e.g. {@code SharedEngines::loadedEngines}); asked from
     *     the background thread only
     */
    public GpuMemoryMonitor(Supplier<? extends Collection<? extends SpeechEngine>> engines) {
        this.engines = engines;
        refresher =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "gpu-memory");
                            t.setDaemon(true);
                            return t;
                        });
        refresher.scheduleWithFixedDelay(this::refresh, 0, REFRESH_SECONDS, TimeUnit.SECONDS);
    }

    /** Memory this process holds on its GPUs in GB (GiB), or null. */
    public Double allocatedGb() {
        return gb(figures.allocatedBytes());
    }

    /** Memory in use on the engines' GPUs by all processes in GB (GiB), or null. */
    public Double reservedGb() {
        return gb(figures.reservedBytes());
    }

    /** Memory this process holds on its GPUs in bytes, or null. */
    public Long allocatedBytes() {
        return figures.allocatedBytes();
    }

    /** Memory in use on the engines' GPUs by all processes in bytes, or null. */
    public Long reservedBytes() {
        return figures.reservedBytes();
    }

    /** Reads the figures now (the background thread does this every few seconds). */
    void refresh() {
        try {
            long mine = 0;
            long used = 0;
            boolean any = false;
            Set<Integer> devices = new HashSet<>(); // engines sharing a GPU count it once
            for (SpeechEngine engine : engines.get()) {
                Optional<dev.omniscribe.models.onnx.GpuMemory> m = engine.gpuMemory();
                if (m.isPresent() && devices.add(m.get().device())) {
                    any = true;
                    mine += m.get().processBytes();
                    used += m.get().usedBytes();
                }
            }
            figures = any ? new Figures(mine, used) : Figures.NONE;
        } catch (RuntimeException e) {
            LOG.debug("GPU memory figures unavailable", e);
            figures = Figures.NONE;
        }
    }

    private static Double gb(Long bytes) {
        return bytes == null ? null : Math.round(bytes / BYTES_PER_GB * 100) / 100.0;
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
