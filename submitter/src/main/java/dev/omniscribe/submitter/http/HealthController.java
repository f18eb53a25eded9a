package dev.omniscribe.submitter.http;

import dev.omniscribe.submitter.jobs.TranscriptionService;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /health}: answers from in-memory state only, so it stays fast while jobs run.
 *
 * <pre>{"status": "ok", "model_loaded": true, "gpu_memory_allocated_gb": null,
 *  "gpu_memory_reserved_gb": null, "model": "...", "jobs_unfinished": 0,
 *  "engine_batches": {"1": 3, "4": 12}}</pre>
 *
 * {@code engine_batches}: how many engine batches had each number of segments so far.
 */
public final class HealthController {

    private final TranscriptionService service;
    private final GpuMemoryMonitor gpu;

    public HealthController(TranscriptionService service, GpuMemoryMonitor gpu) {
        this.service = service;
        this.gpu = gpu;
    }

    public void health(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "ok");
        body.put("model_loaded", service.isModelLoaded());
        body.put("gpu_memory_allocated_gb", gpu.allocatedGb());
        body.put("gpu_memory_reserved_gb", gpu.reservedGb());
        body.put("model", service.modelName());
        body.put("jobs_unfinished", service.unfinishedJobs());
        body.put("engine_batches", service.batchSizes());
        ctx.json(body);
    }
}
