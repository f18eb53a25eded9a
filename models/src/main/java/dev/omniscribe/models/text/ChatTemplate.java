package dev.omniscribe.models.text;

/**
 * Qwen2.5-Omni's ChatML prompt for one audio turn: a system message, a user message holding the
 * audio (one {@code <|AUDIO|>} placeholder between {@code <|audio_bos|>} and {@code <|audio_eos|>})
 * followed by the instruction, and the opening of the assistant turn. This is what the checkpoint's
 * chat template renders for {@code [system, user: [audio, text]]} with {@code
 * add_generation_prompt=True}.
 */
public final class ChatTemplate {

    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final String AUDIO_BOS = "<|audio_bos|>";
    public static final String AUDIO = "<|AUDIO|>";
    public static final String AUDIO_EOS = "<|audio_eos|>";

    private ChatTemplate() {}

    /**
     * Renders the prompt text with a single {@code <|AUDIO|>} placeholder.
     *
     * @param system system message
     * @param user instruction placed after the audio
     */
    public static String render(String system, String user) {
        return render(system, "", user);
    }

    /**
     * Renders the prompt text with the user turn holding {@code beforeAudio}, the single {@code
     * <|AUDIO|>} placeholder, then {@code afterAudio} (what the chat template renders for {@code
     * user: [text, audio, text]}; either text may be empty).
     */
    public static String render(String system, String beforeAudio, String afterAudio) {
        return IM_START
                + "system\n"
                + system
                + IM_END
                + "\n"
                + IM_START
                + "user\n"
                + beforeAudio
                + AUDIO_BOS
                + AUDIO
                + AUDIO_EOS
                + afterAudio
                + IM_END
                + "\n"
                + IM_START
                + "assistant\n";
    }
}
