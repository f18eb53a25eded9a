package dev.omniscribe.models.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.models.Golden;
import dev.omniscribe.models.Npy;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The exporter's AWQ → MatMulNBits repack proof, run by ONNX Runtime from Java: a single {@code
 * com.microsoft:MatMulNBits} node holding repacked AWQ tensors must give {@code x @ dequant(W) +
 * bias} as numpy computed it in float64. Tolerance from awq_repack.json (1e-4 absolute).
 */
class AwqRepackTest {

    @Test
    void matMulNBitsOfTheRepackedAwqWeightsGivesTheDequantizedProduct() throws Exception {
        Path dir = Golden.GOLDEN.resolve("awq_repack");
        JsonNode info =
                new ObjectMapper().readTree(Golden.file("awq_repack/awq_repack.json").toFile());
        Npy x = Npy.read(Golden.require(dir.resolve("x.npy")));
        float[] expected = Npy.read(Golden.require(dir.resolve("expected.npy"))).floats();
        long[] shape = Arrays.stream(x.shape()).asLongStream().toArray();

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] got;
        try (OrtSession s =
                        env.createSession(
                                Golden.require(dir.resolve("matmulnbits.onnx")).toString(),
                                new OrtSession.SessionOptions());
                OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.floats()), shape);
                OrtSession.Result r = s.run(Map.of("x", in))) {
            FloatBuffer y = ((OnnxTensor) r.get("y").orElseThrow()).getFloatBuffer();
            got = new float[y.remaining()];
            y.get(got);
        }

        assertThat(got).hasSameSizeAs(expected);
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - expected[i]));
        }
        System.out.printf("AWQ repack via MatMulNBits: max abs error %.2e%n", worst);
        assertThat(worst).isLessThanOrEqualTo(info.get("tolerance_abs").asDouble());
    }
}
