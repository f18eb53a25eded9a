package dev.omniscribe.submitter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.SpeechEngine;
import dev.omniscribe.models.Transcription;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class GpuMemoryMonitorTest {

    private static final long GIB = 1L << 30;

    /** An engine whose GPU figures are given (empty: a CPU engine). */
    private static SpeechEngine engine(Optional<dev.omniscribe.models.onnx.GpuMemory> memory) {
        return new SpeechEngine() {
            @Override
            public List<Transcription> transcribe(List<GenerationRequest> requests) {
                throw new UnsupportedOperationException();
            }

            @Override
            public String modelName() {
                return "fake";
            }

            @Override
            public Optional<dev.omniscribe.models.onnx.GpuMemory> gpuMemory() {
                return memory;
            }

            @Override
            public void close() {}
        };
    }

    @Test
    void figuresComeFromTheLoadedGpuEnginesAndAreNullOtherwise() {
        List<SpeechEngine> loaded = new CopyOnWriteArrayList<>();
        try (GpuMemoryMonitor gpu = new GpuMemoryMonitor(() -> loaded)) {
            gpu.refresh();
            assertThat(gpu.allocatedGb()).isNull();
            assertThat(gpu.reservedGb()).isNull();

            loaded.add(engine(Optional.empty())); // on the CPU
            gpu.refresh();
            assertThat(gpu.allocatedGb()).isNull();

            var device0 = new dev.omniscribe.models.onnx.GpuMemory(0, 10 * GIB, 12 * GIB, 80 * GIB);
            loaded.add(engine(Optional.of(device0)));
            loaded.add(engine(Optional.of(device0))); // a second engine on the same GPU
            loaded.add(
                    engine(
                            Optional.of(
                                    new dev.omniscribe.models.onnx.GpuMemory(
                                            1, GIB / 2, 2 * GIB, 80 * GIB))));
            gpu.refresh();
            assertThat(gpu.allocatedGb()).isEqualTo(10.5);
            assertThat(gpu.reservedGb()).isEqualTo(14.0);

            loaded.clear(); // unloaded
            gpu.refresh();
            assertThat(gpu.reservedGb()).isNull();
        }
    }
}
