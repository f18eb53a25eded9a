package dev.omniscribe.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.models.SpeechEngine;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The reference-counted engine registry, with the tiny model loaded for real. */
class SharedEnginesTest {

    private static final Duration KEEP = Duration.ofMinutes(10);

    private final SharedEngines engines = new SharedEngines(OnnxSpeechEngine::load);
    private final EngineConfig cpu = new EngineConfig(TinyModel.dir(), -1, 1);

    @AfterEach
    void unloadEverything() {
        engines.unloadIdle();
        assertThat(engines.isLoaded(cpu)).isFalse();
    }

    @Test
    void leasesOfOneConfigurationShareOneLoadedEngine() {
        try (EngineLease a = engines.acquire(cpu, Duration.ZERO);
                EngineLease b = engines.acquire(cpu, Duration.ZERO)) {
            assertThat(b.engine()).isSameAs(a.engine());
            assertThat(engines.loads()).isEqualTo(1);
            assertThat(engines.leases(cpu)).isEqualTo(2);
            float[] silence = new float[16_000];
            assertThat(
                            a.engine()
                                    .transcribe(
                                            new GenerationRequest(
                                                    silence,
                                                    GenerationOptions.DEFAULTS.withMaxNewTokens(2)))
                                    .failed())
                    .isFalse();
        }
        assertThat(engines.isLoaded(cpu)).as("idle timeout 0: unloaded at once").isFalse();
    }

    @Test
    void anotherThreadCountIsAnotherEngine() {
        EngineConfig twoThreads = new EngineConfig(TinyModel.dir(), -1, 2);
        try (EngineLease a = engines.acquire(cpu, Duration.ZERO);
                EngineLease b = engines.acquire(twoThreads, Duration.ZERO)) {
            assertThat(b.engine()).isNotSameAs(a.engine());
            assertThat(engines.loads()).isEqualTo(2);
        }
    }

    @Test
    void theEngineStaysLoadedForTheIdleTimeoutAndTheNextLeaseReusesIt() {
        SpeechEngine first;
        try (EngineLease a = engines.acquire(cpu, KEEP)) {
            first = a.engine();
        }
        assertThat(engines.isLoaded(cpu)).isTrue();
        assertThat(engines.isLoaded(TinyModel.dir())).isTrue();
        assertThat(engines.leases(cpu)).isZero();
        try (EngineLease b = engines.acquire(cpu, KEEP)) {
            assertThat(b.engine()).isSameAs(first);
        }
        assertThat(engines.loads()).isEqualTo(1);

        assertThat(engines.unloadIdle()).isEqualTo(1);
        assertThat(engines.isLoaded(cpu)).isFalse();
        try (EngineLease c = engines.acquire(cpu, Duration.ZERO)) {
            assertThat(c.engine()).isNotSameAs(first);
        }
        assertThat(engines.loads()).as("loaded again after the unload").isEqualTo(2);
    }

    @Test
    void anIdleEngineIsUnloadedAfterItsTimeout() throws Exception {
        try (EngineLease a = engines.acquire(cpu, Duration.ofMillis(200))) {
            assertThat(a.engine()).isNotNull();
        }
        Instant deadline = Instant.now().plusSeconds(30);
        while (engines.isLoaded(cpu)) {
            assertThat(Instant.now()).as("unloaded within 30 s").isBefore(deadline);
            Thread.sleep(50);
        }
        try (EngineLease b = engines.acquire(cpu, Duration.ZERO)) {
            assertThat(b.engine()).isNotNull();
        }
        assertThat(engines.loads()).isEqualTo(2);
    }

    @Test
    void concurrentFirstLeasesLoadOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Callable<EngineLease> take = () -> engines.acquire(cpu, Duration.ZERO);
            var futures = new java.util.ArrayList<Future<EngineLease>>();
            for (int i = 0; i < 4; i++) {
                futures.add(pool.submit(take));
            }
            var leases = new java.util.ArrayList<EngineLease>();
            for (Future<EngineLease> f : futures) {
                leases.add(f.get());
            }
            assertThat(engines.loads()).isEqualTo(1);
            for (EngineLease l : leases) {
                assertThat(l.engine()).isSameAs(leases.get(0).engine());
            }
            leases.forEach(EngineLease::close);
            leases.get(0).close(); // a second close counts for nothing
            assertThat(engines.isLoaded(cpu)).isFalse();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aClosedLeaseNoLongerHandsOutTheEngine() {
        EngineLease a = engines.acquire(cpu, Duration.ZERO);
        a.close();
        assertThatThrownBy(a::engine).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aFailedLoadHoldsNoLease() {
        SharedEngines failing =
                new SharedEngines(
                        c -> {
                            throw new IllegalStateException("cannot load");
                        });
        assertThatThrownBy(() -> failing.acquire(cpu, KEEP)).hasMessage("cannot load");
        assertThat(failing.leases(cpu)).isZero();
        assertThat(failing.isLoaded(cpu)).isFalse();
    }
}
