package dev.omniscribe.udfs;

import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.FinishReason;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.Languages;
import dev.omniscribe.models.SpeechEngine;
import dev.omniscribe.models.Transcription;
import dev.omniscribe.udfs.guard.OutputGuard;
import dev.omniscribe.udfs.guard.RepetitionLoop;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.functions.AbstractRichFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.util.Collector;
import org.apache.flink.util.FlinkUserCodeClassLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transcribes segments with one speech engine per task slot, a micro-batch at a time (run it with
 * {@link MicroBatchOperator}).
 *
 * <p>The engine is leased from the JVM-wide {@link SharedEngines} (loading it if this JVM has none
 * of that model, GPU and thread count; {@link #open(OpenContext)} loads it). With an idle timeout
 * of zero (a job) the lease is held until {@link #close()}; with a positive one (the service's
 * resident job) it is taken per batch, so the model is unloaded after {@link
 * EngineSettings#idleTimeout()} without work and loaded again by the next batch. Batch sizes are
 * recorded in the histogram {@value JobMetrics#BATCH_SIZE}. Task slots of one JVM on the CPU share
 * one engine; each GPU has its own. Its device: the first GPU Flink's external resource {@code gpu}
 * assigned to this task manager, if any; else, when {@link EngineSettings#gpus()} is positive
 * (embedded cluster), GPU {@code subtask % gpus}; else the CPU.
 *
 * <p>Failure records from decoding and files' end records pass through without engine work. A
 * segment the engine fails on (or a batch whose generation throws) becomes a failed record of stage
 * {@code transcribe}; the job goes on. When a batch throws, its segments run again one by one, so
 * that only the segments that fail alone (and so only their files) are reported failed.
 *
 * <p>Around the engine ({@link EngineSettings#guard()}): each segment's token budget follows its
 * duration ({@link OutputGuard#budget}), within its options' {@code maxNewTokens}; a segment that
 * hits that budget (not a lower {@code maxNewTokens} of its own, which is only flagged), or whose
 * tokens fall into a repetition loop ({@link RepetitionLoop}), is cut at the start of the loop and
 * retried once at a higher temperature (all such segments of a batch as one batch): the retry's
 * text is kept when it ends by itself, else the cut text. Both are recorded ({@link Finish}). The
 * engine itself is not changed.
 *
 * <p>Language: for the first segment (index 0) of a file whose options give no language, one short
 * extra generation in the same batch asks the model the language ({@link
 * SpeechEngine#languageQuestion()}, on at most its first {@value #LANGUAGE_AUDIO_SECONDS} s); an
 * answer that is not an ISO 639-1 code, or a failure, gives {@code unknown}.
 *
 * <p>Metrics (group {@value JobMetrics#GROUP}, see {@link JobMetrics}): segments transcribed and
 * failed, tokens generated (retries and language questions included), audio seconds transcribed,
 * batches; histograms of batch size, segment latency (the engine time of its batch) and tokens per
 * segment; segments cut for their budget or a loop, retries, retries that ended by themselves,
 * language questions and unknown answers. Accumulator {@value #SEGMENTS_PROCESSED}: records handed
 * on (transcribed, failed or passed-through failures), against {@link
 * DecodeAudioFunction#SEGMENTS_DECODED}, for progress while the job runs.
 */
public class TranscribeFunction extends AbstractRichFunction
        implements BatchFunction<SegmentRecord, TranscribedSegment> {

    private static final Logger LOG = LoggerFactory.getLogger(TranscribeFunction.class);

    /** Name of Flink's external resource that assigns GPUs to task managers. */
    public static final String GPU_RESOURCE = "gpu";

    /** Accumulator: segment records this function has handed on. */
    public static final String SEGMENTS_PROCESSED = "segmentsProcessed";

    /** Accumulator: segment records handed on per file id ({@link FileSegmentCounts}). */
    public static final String SEGMENTS_PROCESSED_BY_FILE = "segmentsProcessedByFile";

    /** Accumulator: how many engine batches had each size (a {@code TreeMap<size, count>}). */
    public static final String BATCH_SIZES = "batchSizes";

    /** Longest audio the language question hears, in seconds (the start of the first segment). */
    public static final int LANGUAGE_AUDIO_SECONDS = 30;

    /** Most tokens the answer to the language question may have. */
    static final int LANGUAGE_ANSWER_TOKENS = 4;

    private final EngineSettings settings;

    private transient SharedEngines engines;
    private transient EngineConfig engineConfig;
    private transient EngineLease lease;
    private transient SpeechEngine engine;
    private transient LongCounter processed;
    private transient FileSegmentCounts processedByFile;
    private transient String modelName;
    private transient Counter segments;
    private transient Counter failures;
    private transient Counter tokens;
    private transient volatile long audioMs;
    private transient Counter batches;
    private transient Histogram batchSizes;
    private transient Counter cutMaxTokens;
    private transient Counter cutRepetition;
    private transient Counter retries;
    private transient Counter retriesRecovered;
    private transient Counter languageDetections;
    private transient Counter languagesUnknown;
    private transient Histogram segmentLatency;
    private transient Histogram tokensPerSegment;
    private transient org.apache.flink.api.common.accumulators.Histogram batchSizeCounts;

    /**
     * @param settings the engine to lease and where it runs; each segment's text is generated as
     *     its {@link FileOptions} say
     */
    public TranscribeFunction(EngineSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        RuntimeContext ctx = getRuntimeContext();
        int gpu = gpuFor(ctx, settings.gpus());
        LOG.info(
                "subtask {} loads {} on {}",
                ctx.getTaskInfo().getIndexOfThisSubtask(),
                settings.modelDir(),
                gpu < 0 ? "CPU" : "GPU " + gpu);
        SharedEngines engines = SharedEngines.jvm();
        if (SharedEngines.class.getClassLoader() instanceof FlinkUserCodeClassLoader) {
            // The registry lives in this job's class loader and goes with it: free its engines.
            ctx.registerUserCodeClassLoaderReleaseHookIfAbsent(
                    SharedEngines.class.getName(), engines::unloadIdle);
        }
        this.engines = engines;
        engineConfig =
                new EngineConfig(
                        Path.of(settings.modelDir()),
                        gpu,
                        settings.threads(),
                        settings.fixedTokensPer30s() == 0);
        if (settings.idleTimeout().isZero()) {
            // A job's engine: loaded now, held while the task runs, unloaded when it ends.
            lease = engines.acquire(engineConfig, settings.idleTimeout());
            modelName = lease.engine().modelName();
            engine = engineFor(lease.engine());
        }
        // Otherwise a resident job's (the service's): leased per batch, so that the registry
        // unloads the model after the idle timeout without work and the next batch loads it.
        processed = ctx.getLongCounter(SEGMENTS_PROCESSED);
        processedByFile = new FileSegmentCounts();
        ctx.addAccumulator(SEGMENTS_PROCESSED_BY_FILE, processedByFile);
        batchSizeCounts = ctx.getHistogram(BATCH_SIZES);
        var metrics = JobMetrics.group(ctx.getMetricGroup());
        segments = metrics.counter(JobMetrics.SEGMENTS_TRANSCRIBED);
        failures = metrics.counter(JobMetrics.TRANSCRIBE_FAILURES);
        tokens = metrics.counter(JobMetrics.TOKENS_GENERATED);
        batches = metrics.counter(JobMetrics.BATCHES);
        batchSizes = metrics.histogram(JobMetrics.BATCH_SIZE, histogram());
        segmentLatency =
                metrics.histogram(
                        JobMetrics.SEGMENT_LATENCY_SECONDS,
                        new SecondsHistogram(JobMetrics.HISTOGRAM_WINDOW));
        tokensPerSegment = metrics.histogram(JobMetrics.TOKENS_PER_SEGMENT, histogram());
        metrics.gauge(JobMetrics.AUDIO_SECONDS_TRANSCRIBED, () -> audioMs / 1000.0);
        cutMaxTokens = metrics.counter(JobMetrics.SEGMENTS_MAX_TOKENS);
        cutRepetition = metrics.counter(JobMetrics.SEGMENTS_REPETITION);
        retries = metrics.counter(JobMetrics.SEGMENT_RETRIES);
        retriesRecovered = metrics.counter(JobMetrics.SEGMENT_RETRIES_RECOVERED);
        languageDetections = metrics.counter(JobMetrics.LANGUAGE_DETECTIONS);
        languagesUnknown = metrics.counter(JobMetrics.LANGUAGES_UNKNOWN);
    }

    private static Histogram histogram() {
        return new DescriptiveStatisticsHistogram(JobMetrics.HISTOGRAM_WINDOW);
    }

    /**
     * The engine this function calls, given the shared one it leased in {@link #open(OpenContext)}:
     * the leased one itself. Test builds wrap it to inject engine faults; the lease, not the
     * returned engine, is released in {@link #close()}.
     */
    protected SpeechEngine engineFor(SpeechEngine leased) {
        return leased;
    }

    /**
     * The GPU index for this subtask: Flink's external resource {@code gpu} first, then {@code
     * subtask % gpus} when {@code gpus > 0}, else -1 (CPU).
     */
    static int gpuFor(RuntimeContext ctx, int gpus) {
        Set<ExternalResourceInfo> infos = ctx.getExternalResourceInfos(GPU_RESOURCE);
        for (ExternalResourceInfo info : infos) {
            var index = info.getProperty("index");
            if (index.isPresent()) {
                return Integer.parseInt(index.get().trim());
            }
        }
        if (gpus > 0) {
            return ctx.getTaskInfo().getIndexOfThisSubtask() % gpus;
        }
        return -1;
    }

    @Override
    public void processBatch(List<SegmentRecord> batch, Collector<TranscribedSegment> out) {
        List<SegmentRecord> audio = new ArrayList<>(batch.size());
        for (SegmentRecord s : batch) {
            if (!s.hasAudio()) {
                out.collect(TranscribedSegment.passThrough(s));
                processed.add(1L);
                processedByFile.add(s.fileId());
            } else {
                audio.add(s);
            }
        }
        if (audio.isEmpty()) {
            return;
        }
        Outcome[] results;
        long startNanos = System.nanoTime();
        if (lease != null) {
            results = run(audio);
        } else {
            try (EngineLease batchLease = engines.acquire(engineConfig, settings.idleTimeout())) {
                engine = engineFor(batchLease.engine());
                modelName = engine.modelName();
                results = run(audio);
            } finally {
                engine = null;
            }
        }
        long engineMicros = (System.nanoTime() - startNanos) / 1_000;
        batches.inc();
        batchSizes.update(audio.size());
        batchSizeCounts.add(audio.size());
        for (int i = 0; i < audio.size(); i++) {
            SegmentRecord s = audio.get(i);
            Outcome o = results[i];
            Transcription t = o.result();
            if (t.failed()) {
                failures.inc();
            } else {
                segments.inc();
                tokensPerSegment.update(o.tokens());
                segmentLatency.update(engineMicros);
                audioMs += s.endMs() - s.startMs();
            }
            out.collect(
                    new TranscribedSegment(
                            s.fileId(),
                            s.relativePath(),
                            s.sizeBytes(),
                            s.index(),
                            s.startMs(),
                            s.endMs(),
                            s.last(),
                            t.failed() ? "" : o.text(),
                            o.tokens(),
                            modelName,
                            t.failed() ? "transcribe" : null,
                            t.failed() ? describe(s, t.error()) : null,
                            s.options(),
                            o.language(),
                            o.finish(),
                            o.retry(),
                            s.channel(),
                            s.speech()));
            processed.add(1L);
            processedByFile.add(s.fileId());
        }
    }

    /**
     * One segment's result after the guard.
     *
     * @param result the engine's first answer (its failure, if it failed)
     * @param text the text kept: the retry's, or the first answer cut at its loop
     * @param tokens tokens generated for the segment, retry included
     * @param language the language detected on it, or null when not asked
     * @param finish how the first answer ended
     * @param retry how the retry ended, or null without one
     */
    private record Outcome(
            Transcription result,
            String text,
            int tokens,
            String language,
            Finish finish,
            Finish retry) {}

    /** The segments' text: one engine batch (language questions included), then the retries. */
    private Outcome[] run(List<SegmentRecord> audio) {
        boolean plain = settings.fixedTokensPer30s() > 0;
        OutputGuard guard = plain ? OutputGuard.OFF : settings.guard();
        List<GenerationRequest> requests = new ArrayList<>(audio.size() + 1);
        List<Integer> asked = new ArrayList<>();
        for (SegmentRecord s : audio) {
            requests.add(new GenerationRequest(s.samples(), generation(s, guard)));
        }
        for (int i = 0; i < audio.size() && !plain; i++) {
            SegmentRecord s = audio.get(i);
            if (s.index() == 0 && s.options().generation().language() == null) {
                requests.add(languageQuestion(s));
                asked.add(i);
            }
        }
        List<Transcription> results = transcribe(requests);
        String[] languages = new String[audio.size()];
        for (int k = 0; k < asked.size(); k++) {
            Transcription answer = results.get(audio.size() + k);
            String language =
                    answer.failed() ? Languages.UNKNOWN : Languages.fromAnswer(answer.text());
            languages[asked.get(k)] = language;
            tokens.inc(answer.tokenIds().length);
            languageDetections.inc();
            if (language.equals(Languages.UNKNOWN)) {
                languagesUnknown.inc();
            }
        }

        Outcome[] outcomes = new Outcome[audio.size()];
        List<Integer> retry = new ArrayList<>();
        for (int i = 0; i < audio.size(); i++) {
            Transcription t = results.get(i);
            if (t.failed()) {
                outcomes[i] = new Outcome(t, "", 0, languages[i], Finish.STOP, null);
                continue;
            }
            tokens.inc(t.tokenIds().length);
            Checked c = check(t, guard);
            String text = c.keep() == t.tokenIds().length ? t.text() : decode(t, c.keep());
            outcomes[i] = new Outcome(t, text, t.tokenIds().length, languages[i], c.finish(), null);
            if (c.finish() == Finish.MAX_TOKENS) {
                cutMaxTokens.inc();
            } else if (c.finish() == Finish.REPETITION) {
                cutRepetition.inc();
            }
            // A loop, or the duration budget reached, is retried; the request's own
            // max_new_tokens below that budget is the caller's choice and is not.
            boolean budgetBound =
                    requests.get(i).options().maxNewTokens()
                            < audio.get(i).options().generation().maxNewTokens();
            if (guard.repetitionCheck()
                    && (c.finish() == Finish.REPETITION
                            || (c.finish() == Finish.MAX_TOKENS && budgetBound))) {
                retry.add(i);
            }
        }
        if (retry.isEmpty()) {
            return outcomes;
        }
        List<GenerationRequest> again = new ArrayList<>(retry.size());
        for (int i : retry) {
            GenerationRequest first = requests.get(i);
            GenerationOptions o = first.options();
            again.add(
                    new GenerationRequest(
                            first.samples(),
                            o.withTemperature(OutputGuard.retryTemperature(o.temperature()))
                                    .withSeed(o.seed() + 1)));
        }
        List<Transcription> second = transcribe(again);
        for (int k = 0; k < retry.size(); k++) {
            int i = retry.get(k);
            Outcome first = outcomes[i];
            Transcription t = second.get(k);
            retries.inc();
            if (t.failed()) {
                LOG.warn("retry of segment {} failed: {}", audio.get(i).index(), t.error());
                continue;
            }
            tokens.inc(t.tokenIds().length);
            Finish ended = check(t, guard).finish();
            if (ended == Finish.STOP) {
                retriesRecovered.inc();
            }
            outcomes[i] =
                    new Outcome(
                            first.result(),
                            ended == Finish.STOP ? t.text() : first.text(),
                            first.tokens() + t.tokenIds().length,
                            first.language(),
                            first.finish(),
                            ended);
        }
        return outcomes;
    }

    /** How an answer ended and how many of its tokens to keep. */
    private record Checked(Finish finish, int keep) {}

    private static Checked check(Transcription t, OutputGuard guard) {
        int[] ids = t.tokenIds();
        int loop = guard.repetitionCheck() ? RepetitionLoop.cutAt(ids) : -1;
        if (loop >= 0) {
            return new Checked(Finish.REPETITION, loop);
        }
        if (t.finishReason() == FinishReason.MAX_TOKENS) {
            return new Checked(Finish.MAX_TOKENS, ids.length);
        }
        return new Checked(Finish.STOP, ids.length);
    }

    private String decode(Transcription t, int keep) {
        return engine.decode(Arrays.copyOf(t.tokenIds(), keep));
    }

    /** The language question on (the start of) a file's first segment, answered greedily. */
    private GenerationRequest languageQuestion(SegmentRecord s) {
        float[] samples = s.samples();
        int most = LANGUAGE_AUDIO_SECONDS * SegmentRecord.SAMPLE_RATE;
        GenerationOptions g = s.options().generation();
        return new GenerationRequest(
                samples.length > most ? Arrays.copyOf(samples, most) : samples,
                new GenerationOptions(
                        LANGUAGE_ANSWER_TOKENS,
                        0,
                        1.0,
                        0L,
                        g.systemPrompt(),
                        engine.languageQuestion()));
    }

    private List<Transcription> transcribe(List<GenerationRequest> requests) {
        try {
            List<Transcription> results = engine.transcribe(requests);
            if (results.size() != requests.size()) {
                throw new IllegalStateException(
                        "engine returned "
                                + results.size()
                                + " results for "
                                + requests.size()
                                + " segments");
            }
            return results;
        } catch (RuntimeException e) {
            LOG.warn("batch of {} segments failed", requests.size(), e);
            if (requests.size() == 1) {
                return List.of(Transcription.failed(describe(e)));
            }
            // The batch mixes files: one bad segment must not fail the others, so each segment
            // runs again alone and only those that fail alone are reported.
            List<Transcription> results = new ArrayList<>(requests.size());
            for (GenerationRequest request : requests) {
                try {
                    results.add(engine.transcribe(request));
                } catch (RuntimeException alone) {
                    LOG.warn("segment failed alone", alone);
                    results.add(Transcription.failed(describe(alone)));
                }
            }
            return results;
        }
    }

    /**
     * The segment's generation options: its budget as the guard gives it for its duration, or a
     * benchmark's fixed work per audio second if set.
     */
    private GenerationOptions generation(SegmentRecord s, OutputGuard guard) {
        GenerationOptions g = s.options().generation();
        int fixed = settings.fixedTokensPer30s();
        if (fixed == 0) {
            return g.withMaxNewTokens(guard.budget(s.endMs() - s.startMs(), g.maxNewTokens()));
        }
        long tokens = Math.max(1, (fixed * (s.endMs() - s.startMs()) + 29_999) / 30_000);
        return g.withMaxNewTokens((int) tokens);
    }

    private static String describe(RuntimeException e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static String describe(SegmentRecord s, String error) {
        return "segment "
                + s.index()
                + " ("
                + s.startMs() / 1000.0
                + "-"
                + s.endMs() / 1000.0
                + " s): "
                + error;
    }

    @Override
    public void close() {
        engine = null;
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }
}
