package dev.omniscribe.models;

/** Where the token-by-token generation loop runs. */
public enum DecodeLoop {
    /** Inside the graph when the model folder has {@code generate.onnx}, else in Java. */
    AUTO,
    /**
     * Inside the graph ({@code generate.onnx}: one {@code run} per batch, the KV cache stays in
     * ONNX Runtime); fails at load if the folder lacks it.
     */
    GRAPH,
    /**
     * In Java: one {@code decoder.onnx} run per token, the KV cache passed back each step, after
     * {@code audio_encoder.onnx} and {@code embed_tokens.onnx} (the reference path; fails at load
     * if the folder lacks one of the three).
     */
    STEPS
}
