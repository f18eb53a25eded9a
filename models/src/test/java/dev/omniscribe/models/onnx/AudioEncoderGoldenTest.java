package dev.omniscribe.models.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omniscribe.models.Golden;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.Npy;
import dev.omniscribe.models.audio.LogMelSpectrogram;
import dev.omniscribe.models.audio.MelFeatures;
import dev.omniscribe.models.audio.WavReader;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Audio embeddings of the Java front end + chunked encoder against transformers' audio tower on the
 * processor's features (golden audio_embeds). All fixtures run as one batch of chunks, as the
 * engine runs them. Tolerance 1e-4 absolute: the mel features already differ by up to ~4e-5.
 */
class AudioEncoderGoldenTest {

    @Test
    void chunkedEncoderMatchesTheAudioTowerWithin1e4() throws Exception {
        ModelSpec spec = ModelSpec.load(Golden.modelDir("fp32"));
        ModelSpec.Audio a = spec.audio();
        LogMelSpectrogram mel =
                new LogMelSpectrogram(
                        a.samplingRate(), a.nFft(), a.hopLength(), a.nMels(), a.maxSamples());
        List<JsonNode> fixtures = Golden.fixtures();
        List<MelFeatures> features = new ArrayList<>();
        for (JsonNode f : fixtures) {
            features.add(
                    mel.compute(
                            WavReader.read(Golden.file(f.get("wav").asText()), a.samplingRate())));
        }

        List<AudioEncoder.Embeddings> got;
        try (AudioEncoder encoder = new AudioEncoder(new OrtRuntime(-1, 2), spec)) {
            got = encoder.encode(features);
        }

        for (int i = 0; i < fixtures.size(); i++) {
            JsonNode f = fixtures.get(i);
            Npy want = Npy.read(Golden.file(f.get("audio_embeds").asText()));
            float[] w = want.floats();
            AudioEncoder.Embeddings e = got.get(i);
            assertThat(e.tokens()).isEqualTo(f.get("audio_tokens").asInt());
            assertThat((long) e.tokens() * spec.decoder().hiddenSize()).isEqualTo(w.length);
            FloatBuffer g =
                    e.data().duplicate().clear().order(ByteOrder.nativeOrder()).asFloatBuffer();
            double worst = 0;
            for (int j = 0; j < w.length; j++) {
                worst = Math.max(worst, Math.abs(w[j] - g.get(j)));
            }
            System.out.printf(
                    "audio embeds %s: %d tokens, max abs error %.2e%n",
                    f.get("name").asText(), e.tokens(), worst);
            assertThat(worst).as(f.get("name").asText()).isLessThanOrEqualTo(1e-4);
        }
    }
}
