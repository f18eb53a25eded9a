package dev.omniscribe.models;

/** Why generation of one segment ended. */
public enum FinishReason {
    /** The model emitted its end-of-turn token. */
    STOP_TOKEN,
    /** The token limit (or the model's context) was reached. */
    MAX_TOKENS,
    /** The segment could not be transcribed; see {@link Transcription#error()}. */
    ERROR
}
