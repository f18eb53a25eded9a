package dev.omniscribe.models.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omniscribe.models.Golden;
import dev.omniscribe.models.ModelSpec;
import dev.omniscribe.models.audio.AudioTokens;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The chat template and prompt ids against Qwen2.5-Omni's processor (golden.json). */
class PromptTest {

    @Test
    void templateRendersTheCheckpointChatTemplateText() {
        JsonNode p = Golden.json().get("prompt");
        assertThat(ChatTemplate.render(p.get("system").asText(), p.get("user").asText()))
                .isEqualTo(p.get("text").asText());
    }

    static Stream<Arguments> fixturesAndKinds() {
        return Golden.fixtures().stream()
                .flatMap(
                        f ->
                                Stream.of("fp32", "int4")
                                        .map(k -> Arguments.of(f.get("name").asText(), k)));
    }

    @ParameterizedTest
    @MethodSource("fixturesAndKinds")
    void promptIdsEqualTheProcessorIdsWithAudioExpanded(String name, String kind) {
        JsonNode f = Golden.fixture(name);
        ModelSpec spec = ModelSpec.load(Golden.modelDir(kind));
        int audioTokens = AudioTokens.forFrames(f.get("frames").asInt());
        assertThat(audioTokens).isEqualTo(f.get("audio_tokens").asInt());
        JsonNode golden = Golden.json().get("prompt");
        try (QwenTokenizer tok = QwenTokenizer.load(spec)) {
            Prompt p =
                    tok.prompt(
                            golden.get("system").asText(),
                            golden.get("user").asText(),
                            audioTokens);

            assertThat(p.ids()).containsExactly(Golden.ints(f.get("prompt_ids")));
            assertThat(p.text()).isEqualTo(Golden.json().get("prompt").get("text").asText());
            for (int i = 0; i < p.length(); i++) {
                boolean audio = i >= p.audioStart() && i < p.audioStart() + p.audioTokens();
                assertThat(p.ids()[i] == spec.tokens().audio())
                        .as("position %d", i)
                        .isEqualTo(audio);
            }
        }
    }

    @Test
    void decodeSkipsSpecialTokensAndEncodeKnowsThem() {
        ModelSpec spec = ModelSpec.load(Golden.modelDir("fp32"));
        try (QwenTokenizer tok = QwenTokenizer.load(spec)) {
            int[] ids = tok.encode("<|im_start|>assistant\nhello<|im_end|>");
            assertThat(ids[0]).isEqualTo(spec.tokens().imStart());
            assertThat(ids[ids.length - 1]).isEqualTo(spec.tokens().imEnd());
            assertThat(tok.decode(ids)).isEqualTo("assistant\nhello");
        }
    }

    @Test
    void audioTokenCountFollowsConvAndPoolStrides() {
        assertThat(AudioTokens.forFrames(3000)).isEqualTo(750); // 30 s
        assertThat(AudioTokens.forFrames(200)).isEqualTo(50);
        assertThat(AudioTokens.forFrames(151)).isEqualTo(38);
        assertThat(AudioTokens.forChunk(200)).isEqualTo(50);
        assertThat(AudioTokens.forChunk(51)).isEqualTo(13);
    }
}
