package dev.omniscribe.pipeline;

import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.SpeechEngine;
import dev.omniscribe.models.Transcription;
import dev.omniscribe.udfs.EngineSettings;
import dev.omniscribe.udfs.TranscribeFunction;
import java.util.List;

/**
 * A test build of {@link TranscribeFunction} whose real engine throws on every segment of exactly
 * {@code poisonSamples} samples, as an engine fault on one input would (the batch it sits in throws
 * as a whole).
 */
final class FailingSegmentTranscribeFunction extends TranscribeFunction {

    static final String FAULT = "injected engine fault";

    private final int poisonSamples;

    FailingSegmentTranscribeFunction(EngineSettings settings, int poisonSamples) {
        super(settings);
        this.poisonSamples = poisonSamples;
    }

    @Override
    protected SpeechEngine engineFor(SpeechEngine real) {
        int poison = poisonSamples;
        return new SpeechEngine() {
            @Override
            public List<Transcription> transcribe(List<GenerationRequest> requests) {
                for (GenerationRequest r : requests) {
                    if (r.samples().length == poison) {
                        throw new IllegalStateException(FAULT);
                    }
                }
                return real.transcribe(requests);
            }

            @Override
            public String modelName() {
                return real.modelName();
            }

            @Override
            public String decode(int[] tokenIds) {
                return real.decode(tokenIds);
            }

            @Override
            public String languageQuestion() {
                return real.languageQuestion();
            }

            @Override
            public void close() {
                // The lease releases the real engine.
            }
        };
    }
}
