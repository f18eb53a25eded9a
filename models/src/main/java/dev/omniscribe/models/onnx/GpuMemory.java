package dev.omniscribe.models.onnx;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * GPU memory of one device as the NVIDIA driver reports it ({@code nvidia-smi}). ONNX Runtime's
 * Java API exposes no allocator statistics, so this is the process's own usage on the device (what
 * ONNX Runtime's CUDA arena holds, plus the CUDA context) and the device's total.
 *
 * @param device the CUDA device index
 * @param processBytes memory this process holds on the device
 * @param usedBytes memory used on the device by all processes
 * @param totalBytes the device's memory
 */
public record GpuMemory(int device, long processBytes, long usedBytes, long totalBytes) {

    private static final long MIB = 1L << 20;

    /** Reads the figures; empty when {@code nvidia-smi} is missing or fails (e.g. no GPU). */
    public static Optional<GpuMemory> query(int device) {
        try {
            String[] gpu =
                    run(
                                    "nvidia-smi",
                                    "--query-gpu=memory.used,memory.total",
                                    "--format=csv,noheader,nounits",
                                    "-i",
                                    Integer.toString(device))
                            .trim()
                            .split(",");
            String uuid =
                    run(
                                    "nvidia-smi",
                                    "--query-gpu=uuid",
                                    "--format=csv,noheader",
                                    "-i",
                                    Integer.toString(device))
                            .trim();
            long mine = 0;
            String pid = Long.toString(ProcessHandle.current().pid());
            for (String line :
                    run(
                                    "nvidia-smi",
                                    "--query-compute-apps=pid,gpu_uuid,used_memory",
                                    "--format=csv,noheader,nounits")
                            .split("\n")) {
                String[] f = line.split(",");
                if (f.length == 3 && f[0].trim().equals(pid) && f[1].trim().equals(uuid)) {
                    mine += Long.parseLong(f[2].trim()) * MIB;
                }
            }
            return Optional.of(
                    new GpuMemory(
                            device,
                            mine,
                            Long.parseLong(gpu[0].trim()) * MIB,
                            Long.parseLong(gpu[1].trim()) * MIB));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.append(line).append('\n');
            }
        }
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out.toString();
    }
}
