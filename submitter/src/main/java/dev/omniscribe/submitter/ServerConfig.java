package dev.omniscribe.submitter;

import dev.omniscribe.udfs.BatchSettings;
import dev.omniscribe.udfs.SharedEngines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the HTTP service is configured with.
 *
 * @param host address to listen on
 * @param port TCP port; 0 picks a free one
 * @param modelDir model folder written by the exporter
 * @param workDir folder holding {@code inputs/}, {@code outputs/} and {@code temp/}
 * @param defaults transcription options used when a request does not set them
 * @param maxUploadBytes largest accepted upload in bytes (the audio itself)
 * @param idleTimeout unload the model after this long without work; {@link
 *     SharedEngines#KEEP_LOADED} never unloads
 * @param preload load the model at start instead of on first use
 * @param apiKey bearer token every request but {@code /health} must carry; null disables auth
 * @param rateLimitPerMinute submissions (POST requests) allowed per client and minute
 * @param maxConcurrent jobs handed to the pipeline at once (their segments share engine batches)
 * @param queueCapacity jobs that may wait behind those before new ones get 503
 * @param batching how the resident job groups segments into engine batches
 * @param retention how long inputs, outputs and job records are kept
 * @param gpus GPUs the embedded cluster uses (one transcription slot each); 0 for the CPU
 * @param flinkAddress {@code host:port} of a running Flink session cluster's REST endpoint to
 *     submit jobs to, or null for the embedded mini cluster
 * @param jobJar the pipeline's job jar shipped with each job to the session cluster, or null when
 *     the cluster already has the job's classes (in its {@code lib/} folder); only with {@code
 *     flinkAddress}
 * @param fixedTokensPer30s 0 normally; for benchmarks N &gt; 0 makes every segment generate exactly
 *     {@code ceil(N * seconds / 30)} tokens, stop tokens ignored
 */
public record ServerConfig(
        String host,
        int port,
        Path modelDir,
        Path workDir,
        TranscribeOptions defaults,
        long maxUploadBytes,
        Duration idleTimeout,
        boolean preload,
        String apiKey,
        int rateLimitPerMinute,
        int maxConcurrent,
        int queueCapacity,
        BatchSettings batching,
        Duration retention,
        int gpus,
        String flinkAddress,
        Path jobJar,
        int fixedTokensPer30s) {

    /** The old service's upload limit: 4 GiB. */
    public static final long DEFAULT_MAX_UPLOAD_BYTES = 4L * 1024 * 1024 * 1024;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(defaults, "defaults");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(retention, "retention");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (maxUploadBytes < 1) {
            throw new IllegalArgumentException(
                    "max upload size must be at least 1 byte, got " + maxUploadBytes);
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException(
                    "idle timeout must not be negative, got " + idleTimeout);
        }
        if (rateLimitPerMinute < 1) {
            throw new IllegalArgumentException(
                    "rate limit must allow at least 1 request per minute, got "
                            + rateLimitPerMinute);
        }
        Objects.requireNonNull(batching, "batching");
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException(
                    "at least 1 concurrent job is needed, got " + maxConcurrent);
        }
        if (queueCapacity < 0) {
            throw new IllegalArgumentException(
                    "queue capacity must be 0 or more, got " + queueCapacity);
        }
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("retention must be positive, got " + retention);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key must not be blank");
        }
        if (gpus < 0) {
            throw new IllegalArgumentException("GPUs must be 0 (CPU) or more, got " + gpus);
        }
        if (flinkAddress != null) {
            FlinkAddress.parse(flinkAddress);
            if (preload) {
                throw new IllegalArgumentException(
                        "--preload needs the embedded cluster: with --flink-address the model"
                                + " loads on the cluster's task managers");
            }
        }
        if (jobJar != null) {
            if (flinkAddress == null) {
                throw new IllegalArgumentException("a job jar is only used with --flink-address");
            }
            if (!Files.isRegularFile(jobJar)) {
                throw new IllegalArgumentException("no job jar at " + jobJar);
            }
        }
    }

    /** Whether jobs go to a Flink session cluster instead of the embedded mini cluster. */
    public boolean remote() {
        return flinkAddress != null;
    }
}
