package dev.omniscribe.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** A copy of the fp32 folder's model.json that lists only {@code keep} of its graphs. */
    static void writeModelJsonWithGraphs(Path dir, String... keep) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root =
                (ObjectNode) json.readTree(Golden.modelDir("fp32").resolve("model.json").toFile());
        ((ObjectNode) root.get("graphs")).retain(keep);
        json.writeValue(dir.resolve("model.json").toFile(), root);
    }

    @Test
    void aFolderWithOnlyTheGenerateGraphRunsTheLoopInTheGraphAndRefusesSteps(@TempDir Path dir)
            throws IOException {
        writeModelJsonWithGraphs(dir, ModelSpec.GENERATE);
        ModelSpec s = ModelSpec.load(dir);

        assertThat(s.decodeLoop(DecodeLoop.AUTO)).isEqualTo(DecodeLoop.GRAPH);
        assertThat(s.decodeLoop(DecodeLoop.GRAPH)).isEqualTo(DecodeLoop.GRAPH);
        assertThatThrownBy(() -> s.decodeLoop(DecodeLoop.STEPS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no graph 'audio_encoder', 'embed_tokens', 'decoder'")
                .hasMessageContaining("DecodeLoop.STEPS")
                .hasMessageContaining("Load the folder with DecodeLoop.GRAPH");
    }

    @Test
    void theStepLoopNeedsTheAudioEncoderAndTheTokenEmbeddings(@TempDir Path dir)
            throws IOException {
        writeModelJsonWithGraphs(dir, ModelSpec.DECODER);
        ModelSpec s = ModelSpec.load(dir);

        assertThatThrownBy(() -> s.decodeLoop(DecodeLoop.AUTO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no graph 'audio_encoder', 'embed_tokens'")
                .hasMessageContaining("Export it again with models/export/export.py");
        assertThatThrownBy(() -> s.decodeLoop(DecodeLoop.GRAPH))
                .hasMessageContaining("no graph 'generate'")
                .hasMessageContaining("without --no-loop");
    }

    @Test
    void aFolderWithNeitherLoopIsRefused(@TempDir Path dir) throws IOException {
        writeModelJsonWithGraphs(dir, ModelSpec.AUDIO_ENCODER, ModelSpec.EMBED_TOKENS);
        assertThatThrownBy(() -> ModelSpec.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("neither graph 'decoder' nor 'generate'");
    }

    @Test
    void aFolderWithoutModelJsonIsNamedWithHowToMakeOne(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        EngineConfig config = new EngineConfig(missing, -1, 0); // values only, nothing read

        assertThat(config.modelDir()).isEqualTo(missing);
        assertThatThrownBy(() -> ModelSpec.checkFolder(missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no model.json")
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("models/export/export.py");
        assertThatThrownBy(() -> ModelSpec.load(missing))
                .hasMessage(
                        "not a model folder (no model.json): "
                                + missing
                                + "; make one with models/export/export.py");
    }

    @Test
    void unknownFormatIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("model.json"), "{\"format\": 2}");
        assertThatThrownBy(() -> ModelSpec.load(dir)).hasMessageContaining("format 2");
    }
}
