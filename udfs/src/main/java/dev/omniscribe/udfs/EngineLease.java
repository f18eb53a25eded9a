package dev.omniscribe.udfs;

import dev.omniscribe.models.SpeechEngine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One holder's use of a shared engine (see {@link SharedEngines}). The engine stays loaded while
 * any lease on it is open; {@link #close()} gives this one back (only the first call counts).
 */
public final class EngineLease implements AutoCloseable {

    private final SharedEngines registry;
    private final SharedEngines.Entry entry;
    private final SpeechEngine engine;
    private final Duration idleTimeout;
    private final AtomicBoolean closed = new AtomicBoolean();

    EngineLease(
            SharedEngines registry,
            SharedEngines.Entry entry,
            SpeechEngine engine,
            Duration idleTimeout) {
        this.registry = registry;
        this.entry = entry;
        this.engine = engine;
        this.idleTimeout = idleTimeout;
    }

    /** The shared engine; do not close it, close the lease. Usable until the lease is closed. */
    public SpeechEngine engine() {
        if (closed.get()) {
            throw new IllegalStateException("the engine lease is closed");
        }
        return engine;
    }

    /** Gives the lease back; the last one starts the engine's idle timeout. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            registry.release(entry, idleTimeout);
        }
    }
}
