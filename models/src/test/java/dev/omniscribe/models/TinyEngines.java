package dev.omniscribe.models;

import dev.omniscribe.models.audio.WavReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/** One engine per tiny model kind, shared by the tests of a class and closed after them. */
final class TinyEngines implements AutoCloseable {

    private final Map<String, OnnxSpeechEngine> engines = new HashMap<>();

    /** The engine of folder {@code kind} with the folder's default generation loop. */
    synchronized OnnxSpeechEngine get(String kind) {
        return get(kind, DecodeLoop.AUTO);
    }

    /** The engine of folder {@code kind} with the generation loop where {@code loop} says. */
    synchronized OnnxSpeechEngine get(String kind, DecodeLoop loop) {
        return engines.computeIfAbsent(
                kind + "/" + loop,
                k ->
                        OnnxSpeechEngine.load(
                                new EngineConfig(Golden.modelDir(kind), -1, 2), loop, true));
    }

    static float[] audio(String fixture) {
        try {
            return WavReader.read(Golden.file(Golden.fixture(fixture).get("wav").asText()), 16000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        engines.values().forEach(OnnxSpeechEngine::close);
        engines.clear();
    }
}
