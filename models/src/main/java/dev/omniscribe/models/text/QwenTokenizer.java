package dev.omniscribe.models.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.omniscribe.models.ModelSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Qwen2 byte-level BPE from a model folder's {@code tokenizer.json} (Hugging Face tokenizers via
 * DJL), with truncation, padding and added special tokens off, plus the audio prompt built on it.
 *
 * <p>Thread-safe: encoding and decoding only read the native tokenizer.
 */
public final class QwenTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final ModelSpec.Tokens tokens;

    private QwenTokenizer(HuggingFaceTokenizer tokenizer, ModelSpec.Tokens tokens) {
        this.tokenizer = tokenizer;
        this.tokens = tokens;
    }

    /** Loads {@code tokenizer.json} from the model folder. */
    public static QwenTokenizer load(ModelSpec spec) {
        Path file = spec.dir().resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model folder has no tokenizer.json: " + spec.dir());
        }
        if (System.getenv("RUST_FLAVOR") == null && System.getProperty("RUST_FLAVOR") == null) {
            // DJL would otherwise look for a CUDA build of its native library on GPU hosts and try
            // to download it; the tokenizer needs no GPU and the jar ships the CPU build.
            System.setProperty("RUST_FLAVOR", "cpu");
        }
        try {
            HuggingFaceTokenizer t =
                    HuggingFaceTokenizer.builder()
                            .optTokenizerPath(file)
                            .optAddSpecialTokens(false)
                            .optTruncation(false)
                            .optPadding(false)
                            .build();
            return new QwenTokenizer(t, spec.tokens());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + file, e);
        }
    }

    /** Token ids of {@code text}; special tokens written in the text map to their ids. */
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        return Arrays.stream(ids).mapToInt(Math::toIntExact).toArray();
    }

    /** Text of {@code ids}, special tokens skipped. */
    public String decode(int[] ids) {
        return tokenizer.decode(Arrays.stream(ids).asLongStream().toArray(), true);
    }

    /**
     * The prompt for one segment: the chat template rendered with one audio placeholder, tokenized,
     * and the placeholder expanded to {@code audioTokens} audio ids.
     *
     * @param system system message
     * @param user instruction after the audio
     * @param audioTokens audio embeddings the encoder yields for the segment
     */
    public Prompt prompt(String system, String user, int audioTokens) {
        return prompt(system, "", user, audioTokens);
    }

    /**
     * The prompt for one segment whose user turn holds {@code beforeAudio}, the audio, then {@code
     * afterAudio}.
     */
    public Prompt prompt(String system, String beforeAudio, String afterAudio, int audioTokens) {
        String text = ChatTemplate.render(system, beforeAudio, afterAudio);
        int[] raw = encode(text);
        int at = -1;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == tokens.audio()) {
                if (at >= 0) {
                    throw new IllegalArgumentException(
                            "prompt text holds more than one audio token");
                }
                at = i;
            }
        }
        if (at < 0) {
            throw new IllegalStateException(
                    "tokenizer did not map " + ChatTemplate.AUDIO + " to id " + tokens.audio());
        }
        int[] ids = new int[raw.length - 1 + audioTokens];
        System.arraycopy(raw, 0, ids, 0, at);
        Arrays.fill(ids, at, at + audioTokens, tokens.audio());
        System.arraycopy(raw, at + 1, ids, at + audioTokens, raw.length - at - 1);
        return new Prompt(text, ids, at, audioTokens);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
