package dev.omniscribe.models;

import dev.omniscribe.models.audio.WavReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/** One engine per tiny model kind, shared by the tests of a class and closed after them. */
final class TinyEngines implements AutoCloseable {

    private final Map<String, OnnxSpeechEngine> engines = new HashMap<>();

    synchronized OnnxSpeechEngine get(String kind) {
        return engines.computeIfAbsent(
                kind, k -> OnnxSpeechEngine.load(new EngineConfig(Golden.modelDir(k), -1, 2)));
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
