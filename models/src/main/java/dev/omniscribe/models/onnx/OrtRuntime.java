package dev.omniscribe.models.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens ONNX Runtime sessions on the CUDA provider of one GPU when asked for and available, else on
 * the CPU provider (with one log line saying why). Never fails for want of a GPU.
 */
public final class OrtRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(OrtRuntime.class);
    private static final String CUDA_OPTIONS = "omniscribe.ort.cuda";
    private static final String PROFILE = "omniscribe.ort.profile";

    private final OrtEnvironment env;
    private final int gpuDeviceId;
    private final int intraOpThreads;
    private final boolean cuda;

    /**
     * @param gpuDeviceId CUDA device index, or -1 for the CPU provider
     * @param intraOpThreads threads per session on CPU; 0 lets ONNX Runtime choose
     */
    public OrtRuntime(int gpuDeviceId, int intraOpThreads) {
        this.env = OrtEnvironment.getEnvironment();
        this.gpuDeviceId = gpuDeviceId;
        this.intraOpThreads = intraOpThreads;
        this.cuda = gpuDeviceId >= 0 && cudaUsable(gpuDeviceId);
    }

    public OrtEnvironment env() {
        return env;
    }

    /** Whether sessions run on the CUDA provider. */
    public boolean onGpu() {
        return cuda;
    }

    /** A short description of where sessions run, for logs. */
    public String device() {
        return cuda ? "CUDA device " + gpuDeviceId : "CPU";
    }

    /**
     * Opens one graph. The caller owns (and closes) the session.
     *
     * @param file an {@code .onnx} file; external data next to it is found by ONNX Runtime
     */
    public OrtSession open(Path file) throws OrtException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model graph missing: " + file);
        }
        // -Domniscribe.ort.profile=PREFIX: ONNX Runtime's per-node profile, written when the
        // session closes, to PREFIX_<graph>_<date>.json
        String prefix = System.getProperty(PROFILE);
        String name = file.getFileName().toString().replace(".onnx", "");
        try (OrtSession.SessionOptions options =
                options(cuda, prefix == null ? null : prefix + "_" + name)) {
            return env.createSession(file.toString(), options);
        }
    }

    private OrtSession.SessionOptions options(boolean withCuda, String profile)
            throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        try {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (profile != null) {
                o.enableProfiling(profile);
            }
            if (intraOpThreads > 0) {
                o.setIntraOpNumThreads(intraOpThreads);
            }
            if (!withCuda) {
                // Threads that finish a parallel section sleep instead of spinning for the next:
                // on the CPU the engine shares its cores with decoding, speech detection and the
                // HTTP service, and spinning took ~50 ms of CPU per short request from them
                // (service bench: 16 requests at once 2.0x -> 2.4x sooner than one by one).
                o.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            if (withCuda) {
                // kSameAsRequested: the arena grows by what is asked for, not to the next power of
                // two (a 15 GB model would otherwise reserve far more); HEURISTIC: no exhaustive
                // cuDNN search (~0.7 s) for every new number of audio chunks.
                try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(gpuDeviceId)) {
                    cuda.add("arena_extend_strategy", "kSameAsRequested");
                    cuda.add("cudnn_conv_algo_search", "HEURISTIC");
                    // -Domniscribe.ort.cuda=key=value;key=value overrides (ONNX Runtime's CUDA
                    // provider option names), for tuning on a given card
                    for (String kv : System.getProperty(CUDA_OPTIONS, "").split(";")) {
                        int eq = kv.indexOf('=');
                        if (eq > 0) {
                            cuda.add(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                        }
                    }
                    o.addCUDA(cuda);
                }
            }
            return o;
        } catch (OrtException | RuntimeException e) {
            o.close();
            throw e;
        }
    }

    private boolean cudaUsable(int device) {
        if (!env.getAvailableProviders().contains(OrtProvider.CUDA)) {
            LOG.warn(
                    "GPU {} requested but this ONNX Runtime build has no CUDA provider; running on"
                            + " CPU",
                    device);
            return false;
        }
        try (OrtSession.SessionOptions probe = new OrtSession.SessionOptions()) {
            probe.addCUDA(device);
            return true;
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn(
                    "GPU {} requested but the CUDA provider cannot start ({}); running on CPU",
                    device,
                    e.getMessage());
            return false;
        }
    }
}
