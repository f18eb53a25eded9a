package dev.omniscribe.models.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omniscribe.models.Golden;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.Npy;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Log-mel features against Qwen2.5-Omni's processor (transformers, torch float32 STFT) on the
 * golden fixtures. Tolerance: 1e-4 absolute on the scaled features (values ~[-1, 2]); the Java side
 * computes in double, so the difference is the reference's float32 rounding (~1e-5).
 */
class LogMelSpectrogramTest {

    private static final double TOLERANCE = 1e-4;

    private static LogMelSpectrogram mel() {
        ModelSpec.Audio a = ModelSpec.load(Golden.modelDir("fp32")).audio();
        return new LogMelSpectrogram(
                a.samplingRate(), a.nFft(), a.hopLength(), a.nMels(), a.maxSamples());
    }

    static Stream<String> fixtures() {
        return Golden.fixtures().stream().map(f -> f.get("name").asText());
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void matchesTheProcessorFeaturesWithin1e4(String name) throws Exception {
        JsonNode f = Golden.fixture(name);
        float[] samples = WavReader.read(Golden.file(f.get("wav").asText()), 16000);
        assertThat(samples).hasSize(f.get("samples").asInt());

        MelFeatures got = mel().compute(samples);

        Npy want = Npy.read(Golden.file(f.get("mel").asText()));
        assertThat(got.nMels()).isEqualTo(want.shape()[0]);
        assertThat(got.frames()).isEqualTo(want.shape()[1]).isEqualTo(f.get("frames").asInt());
        float[] w = want.floats();
        double worst = 0;
        for (int i = 0; i < w.length; i++) {
            worst = Math.max(worst, Math.abs(w[i] - got.values()[i]));
        }
        System.out.printf("mel %s: %d frames, max abs error %.2e%n", name, got.frames(), worst);
        assertThat(worst).as("max abs error vs processor, %s", name).isLessThanOrEqualTo(TOLERANCE);
    }

    @Test
    void keepsCeilSamplesOverHopFrames() {
        LogMelSpectrogram m = mel();
        for (int n : List.of(1, 159, 160, 161, 24_050, 149_950)) {
            assertThat(m.compute(new float[n]).frames()).isEqualTo((n + 159) / 160);
        }
    }

    @Test
    void refusesAudioLongerThanTheModelMaximumInsteadOfTruncating() {
        LogMelSpectrogram m = mel();
        assertThatThrownBy(() -> m.compute(new float[m.maxSamples() + 1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maximum");
    }

    @Test
    void audioOfExactlyTheMaximumLengthHasAllFrames() {
        LogMelSpectrogram m = mel();
        float[] x = new float[m.maxSamples()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.1 * Math.sin(i * 0.05));
        }
        MelFeatures f = m.compute(x);
        assertThat(f.frames()).isEqualTo(30_000); // 300 s at 100 frames per second
        for (float v : f.values()) {
            assertThat(v).isFinite();
        }
    }
}
