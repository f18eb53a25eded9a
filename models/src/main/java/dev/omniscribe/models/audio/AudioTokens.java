package dev.omniscribe.models.audio;

/** Audio token counts of Qwen2.5-Omni's audio tower (conv stride 2, then average pool 2). */
public final class AudioTokens {

    private AudioTokens() {}

    /**
     * Audio tokens for a whole segment: {@code ((((frames − 1) // 2 + 1) − 2) // 2) + 1}, 25 per
     * second.
     *
     * @param frames mel frames (100 per second)
     */
    public static int forFrames(int frames) {
        int afterConv = Math.floorDiv(frames - 1, 2) + 1;
        return Math.floorDiv(afterConv - 2, 2) + 1;
    }

    /**
     * Valid audio tokens of one encoder chunk: {@code ((len − 1) // 2 + 1) // 2}.
     *
     * @param chunkFrames valid mel frames in the chunk, 1..chunk size
     */
    public static int forChunk(int chunkFrames) {
        return (Math.floorDiv(chunkFrames - 1, 2) + 1) / 2;
    }
}
