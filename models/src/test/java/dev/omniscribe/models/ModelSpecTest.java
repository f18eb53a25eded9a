package dev.omniscribe.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSpecTest {

    @Test
    void readsTheTinyModelJson() {
        ModelSpec s = ModelSpec.load(Golden.modelDir("int4"));
        assertThat(s.dtype()).isEqualTo("float32");
        assertThat(s.weights()).isEqualTo("int4");
        assertThat(s.audio().maxSamples()).isEqualTo(300 * 16000);
        assertThat(s.audio().maxSeconds()).isEqualTo(300.0);
        assertThat(s.tokens().isStop(s.tokens().imEnd())).isTrue();
        assertThat(s.tokens().isStop(s.tokens().audio())).isFalse();
        assertThat(s.graph(ModelSpec.DECODER).inputs())
                .containsKey("past_key_values." + (s.decoder().numLayers() - 1) + ".value");
    }

    @Test
    void missingFieldIsNamedInTheError(@TempDir Path dir) throws IOException {
        String json = Files.readString(Golden.modelDir("fp32").resolve("model.json"));
        Files.writeString(dir.resolve("model.json"), json.replace("\"im_end\"", "\"im_end_x\""));
        assertThatThrownBy(() -> ModelSpec.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokens.im_end");
    }

    @Test
    void unknownFormatIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("model.json"), "{\"format\": 2}");
        assertThatThrownBy(() -> ModelSpec.load(dir)).hasMessageContaining("format 2");
    }
}
