package dev.omniscribe.submitter.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPU memory figures for {@code /health}, refreshed in the background every 5 s from {@code
 * nvidia-smi} so that reading them never waits. ONNX Runtime's Java API reports no memory figures,
 * so {@code allocated} is the memory this process holds on its GPU and {@code reserved} the memory
 * in use on that GPU by all processes. Both are null on the CPU or where {@code nvidia-smi} is
 * missing.
 */
public final class GpuMemory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GpuMemory.class);
    private static final double MIB_PER_GB = 1024.0;

    private final int deviceId;
    private final ScheduledExecutorService refresher;
    private volatile Double allocatedGb;
    private volatile Double reservedGb;

    /**
     * @param deviceId CUDA device index, or -1 for none (figures stay null)
     */
    public GpuMemory(int deviceId) {
        this.deviceId = deviceId;
        if (deviceId < 0) {
            refresher = null;
            return;
        }
        refresher =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "gpu-memory");
                            t.setDaemon(true);
                            return t;
                        });
        refresher.scheduleWithFixedDelay(this::refresh, 0, 5, TimeUnit.SECONDS);
    }

    /** Memory this process holds on its GPU in GB (GiB), or null. */
    public Double allocatedGb() {
        return allocatedGb;
    }

    /** Memory in use on the GPU in GB (GiB), or null. */
    public Double reservedGb() {
        return reservedGb;
    }

    private void refresh() {
        try {
            String used =
                    run(
                            "nvidia-smi",
                            "--query-gpu=memory.used",
                            "--format=csv,noheader,nounits",
                            "-i",
                            Integer.toString(deviceId));
            reservedGb = round(Double.parseDouble(used.strip()) / MIB_PER_GB);
            String apps =
                    run(
                            "nvidia-smi",
                            "--query-compute-apps=pid,used_memory",
                            "--format=csv,noheader,nounits",
                            "-i",
                            Integer.toString(deviceId));
            long pid = ProcessHandle.current().pid();
            double mine = 0;
            for (String line : apps.split("\n")) {
                String[] cols = line.split(",");
                if (cols.length == 2 && cols[0].strip().equals(Long.toString(pid))) {
                    mine += Double.parseDouble(cols[1].strip());
                }
            }
            allocatedGb = round(mine / MIB_PER_GB);
        } catch (IOException | RuntimeException e) {
            LOG.debug("nvidia-smi unavailable", e);
            allocatedGb = null;
            reservedGb = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("nvidia-smi failed: " + out);
        }
        return out;
    }

    private static double round(double gb) {
        return Math.round(gb * 100) / 100.0;
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }
}
