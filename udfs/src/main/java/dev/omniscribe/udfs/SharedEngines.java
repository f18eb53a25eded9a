package dev.omniscribe.udfs;

import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.models.SpeechEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loaded speech engines shared by reference count, one per {@link EngineConfig} (model folder, GPU
 * id, threads).
 *
 * <p>{@link #acquire(EngineConfig, Duration)} hands out a lease on the engine, loading it if no
 * engine of that configuration is loaded; every lease of one configuration gets the same engine
 * (engines are thread-safe). After the last lease is closed the engine stays resident for the idle
 * timeout given with that lease, then is closed; the next acquire loads it again. An idle timeout
 * of zero closes it at once; {@link #KEEP_LOADED} keeps it until {@link #unloadIdle()}.
 *
 * <p>Flink instantiates {@link TranscribeFunction} itself, so the functions of one JVM (the task
 * slots of a task manager, or the embedded mini cluster) find their engines in the JVM-wide
 * registry {@link #jvm()}, keyed by configuration: slots on the CPU share one engine, each GPU gets
 * its own. Everything else (the HTTP service, tests) takes a registry as an argument. Engines live
 * in native memory, so tests call {@link #unloadIdle()} to leave nothing behind.
 *
 * <p>When these classes come from a job's jar (a session cluster's per-job class loader), the
 * registry dies with the job: {@link TranscribeFunction} then registers {@link #unloadIdle()} as
 * the class loader's release hook, and engines are not kept between jobs. With the job jar in
 * Flink's {@code lib/} folder the registry outlives jobs, as in the embedded cluster.
 */
public final class SharedEngines {

    /** The idle timeout that keeps an engine loaded until {@link #unloadIdle()}. */
    public static final Duration KEEP_LOADED = ChronoUnit.FOREVER.getDuration();

    private static final Logger LOG = LoggerFactory.getLogger(SharedEngines.class);
    private static final SharedEngines JVM = new SharedEngines(OnnxSpeechEngine::load);

    private final Function<EngineConfig, ? extends SpeechEngine> loader;
    private final Map<EngineConfig, Entry> entries = new HashMap<>(); // guarded by this
    private final AtomicLong loads = new AtomicLong();
    private final ScheduledThreadPoolExecutor timers;

    /**
     * A registry of its own (the JVM-wide one is {@link #jvm()}).
     *
     * @param loader loads an engine; called at most once at a time per configuration
     */
    public SharedEngines(Function<EngineConfig, ? extends SpeechEngine> loader) {
        this.loader = Objects.requireNonNull(loader, "loader");
        ClassLoader classes = SharedEngines.class.getClassLoader();
        this.timers =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "engine-idle-unload");
                            t.setDaemon(true);
                            t.setContextClassLoader(classes);
                            return t;
                        });
        timers.setRemoveOnCancelPolicy(true);
        timers.setKeepAliveTime(1, TimeUnit.SECONDS);
        timers.allowCoreThreadTimeOut(true);
    }

    /** The registry of this JVM (of this class loader), loading with {@link OnnxSpeechEngine}. */
    public static SharedEngines jvm() {
        return JVM;
    }

    /**
     * A lease on the engine of {@code config}, loading it first if needed (blocks while another
     * thread loads or unloads the same configuration).
     *
     * @param idleTimeout how long the engine stays loaded after this lease is the last one closed;
     *     zero unloads at once, {@link #KEEP_LOADED} keeps it until {@link #unloadIdle()}
     * @throws RuntimeException whatever loading throws; no lease is held then
     */
    public EngineLease acquire(EngineConfig config, Duration idleTimeout) {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException(
                    "idle timeout must be zero or positive, got " + idleTimeout);
        }
        EngineConfig key = keyOf(config);
        Entry e;
        synchronized (this) {
            e = entries.computeIfAbsent(key, Entry::new);
            e.leases++;
            if (e.timer != null) {
                e.timer.cancel(false);
                e.timer = null;
            }
        }
        try {
            synchronized (e) {
                if (e.engine == null) {
                    LOG.info("loading engine {}", describe(key));
                    e.engine = loader.apply(key);
                    loads.incrementAndGet();
                }
                return new EngineLease(this, e, e.engine, idleTimeout);
            }
        } catch (RuntimeException | Error x) {
            release(e, Duration.ZERO);
            throw x;
        }
    }

    /** Whether an engine of this configuration is loaded now (answers without waiting). */
    public boolean isLoaded(EngineConfig config) {
        EngineConfig key = keyOf(config);
        Entry e;
        synchronized (this) {
            e = entries.get(key);
        }
        return e != null && e.engine != null;
    }

    /** Whether any engine of this model folder is loaded now (answers without waiting). */
    public boolean isLoaded(Path modelDir) {
        Path dir = modelDir.toAbsolutePath().normalize();
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(entries.values());
        }
        for (Entry e : all) {
            if (e.config.modelDir().equals(dir) && e.engine != null) {
                return true;
            }
        }
        return false;
    }

    /** The engines loaded now, in no particular order (answers without waiting). */
    public List<SpeechEngine> loadedEngines() {
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(entries.values());
        }
        List<SpeechEngine> loaded = new ArrayList<>();
        for (Entry e : all) {
            SpeechEngine engine = e.engine;
            if (engine != null) {
                loaded.add(engine);
            }
        }
        return loaded;
    }

    /** How many times this registry has loaded an engine. */
    public long loads() {
        return loads.get();
    }

    /** Leases held now on the engine of this configuration. */
    public synchronized int leases(EngineConfig config) {
        Entry e = entries.get(keyOf(config));
        return e == null ? 0 : e.leases;
    }

    /**
     * Unloads every engine that no lease holds now, whatever its idle timeout; leased engines stay.
     *
     * @return how many engines were closed
     */
    public int unloadIdle() {
        List<Entry> idle = new ArrayList<>();
        synchronized (this) {
            for (Entry e : entries.values()) {
                if (e.leases == 0) {
                    if (e.timer != null) {
                        e.timer.cancel(false);
                        e.timer = null;
                    }
                    idle.add(e);
                }
            }
        }
        int closed = 0;
        for (Entry e : idle) {
            if (unload(e)) {
                closed++;
            }
        }
        return closed;
    }

    /** Called once per lease, by {@link EngineLease#close()}. */
    void release(Entry e, Duration idleTimeout) {
        synchronized (this) {
            e.leases--;
            if (e.leases > 0 || idleTimeout.equals(KEEP_LOADED)) {
                return;
            }
            if (!idleTimeout.isZero()) {
                e.timer =
                        timers.schedule(
                                () -> unload(e), idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
        }
        unload(e);
    }

    /** Closes the entry's engine unless a lease was taken meanwhile; true if it closed one. */
    private boolean unload(Entry e) {
        synchronized (e) {
            synchronized (this) {
                if (e.leases > 0) {
                    return false;
                }
                e.timer = null;
            }
            SpeechEngine engine = e.engine;
            if (engine == null) {
                return false;
            }
            LOG.info("unloading engine {}", describe(e.config));
            e.engine = null;
            try {
                engine.close();
            } catch (RuntimeException x) {
                LOG.warn("closing engine {} failed", describe(e.config), x);
            }
            return true;
        }
    }

    private static EngineConfig keyOf(EngineConfig c) {
        return new EngineConfig(
                c.modelDir().toAbsolutePath().normalize(),
                c.gpuDeviceId(),
                c.intraOpThreads(),
                c.stopAtEos());
    }

    private static String describe(EngineConfig c) {
        return c.modelDir()
                + " on "
                + (c.gpuDeviceId() < 0 ? "CPU" : "GPU " + c.gpuDeviceId())
                + (c.intraOpThreads() > 0 ? " (" + c.intraOpThreads() + " threads)" : "");
    }

    /** One configuration's engine and its leases. */
    static final class Entry {
        final EngineConfig config;
        int leases; // guarded by the registry
        ScheduledFuture<?> timer; // guarded by the registry
        volatile SpeechEngine engine; // written under this entry's monitor

        Entry(EngineConfig config) {
            this.config = config;
        }
    }
}
