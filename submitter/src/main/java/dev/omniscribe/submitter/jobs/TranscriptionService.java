package dev.omniscribe.submitter.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.omniscribe.submitter.TranscribeOptions;
import dev.omniscribe.submitter.upload.Upload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands uploads to the pipeline, keeps their results and forgets them after the retention period.
 *
 * <ul>
 *   <li>Up to {@code maxConcurrent} jobs are in the pipeline at once, in arrival order (their
 *       segments share the engine's batches there). At most {@code queueCapacity} jobs wait behind
 *       them; more are refused with {@link QueueFullException}.
 *   <li>Same content and same options give the cached result (hard links to the earlier job's
 *       files) unless the request says {@code no_cache}.
 *   <li>A job's record ({@code outputs/<id>/job.json}) is written when it is accepted and again
 *       when it finishes (after its outputs), so a restart answers for every job it reported
 *       finished and resumes every job it accepted and had not finished.
 *   <li>{@link #cancel} ends a job that has not finished; its result is not kept.
 *   <li>The model's life (loaded on first use or by {@link #preload()}, unloaded after an idle
 *       timeout, loaded again by the next job) belongs to the {@link Transcriber}.
 * </ul>
 */
public final class TranscriptionService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TranscriptionService.class);
    private static final String RECORD = "job.json";

    private final WorkDir workDir;
    private final Transcriber transcriber;
    private final TranscriptReader reader;
    private final Clock clock;
    private final Duration retention;
    private final int queueCapacity;
    private final Map<String, Future<?>> running = new ConcurrentHashMap<>();
    private volatile boolean closing;
    private final JobId ids = new JobId();
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final List<java.util.function.Consumer<Job.Snapshot>> finishListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, String> cache = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor worker;
    private final ScheduledExecutorService housekeeping;

    /**
     * Restores finished jobs from {@code workDir} and starts the worker and the housekeeping thread
     * (retention sweep every minute).
     */
    public TranscriptionService(
            WorkDir workDir,
            Transcriber transcriber,
            int maxConcurrent,
            int queueCapacity,
            Duration retention,
            Clock clock) {
        this.workDir = workDir;
        this.transcriber = transcriber;
        this.reader = new TranscriptReader();
        this.clock = clock;
        this.retention = retention;
        this.queueCapacity = queueCapacity;
        BlockingQueue<Runnable> queue =
                queueCapacity == 0
                        ? new SynchronousQueue<>()
                        : new ArrayBlockingQueue<>(queueCapacity);
        this.worker =
                new ThreadPoolExecutor(
                        maxConcurrent,
                        maxConcurrent,
                        0,
                        TimeUnit.MILLISECONDS,
                        queue,
                        daemon("transcribe-worker"));
        this.housekeeping =
                Executors.newSingleThreadScheduledExecutor(daemon("transcribe-housekeeping"));
        restore();
        housekeeping.scheduleWithFixedDelay(this::sweepSafely, 1, 60, TimeUnit.SECONDS);
    }

    /** A fresh unguessable job id (the upload is stored under it before the job exists). */
    public String newJobId() {
        return ids.next();
    }

    /**
     * Queues a stored upload under {@code jobId}, or answers it from the cache at once.
     *
     * @throws QueueFullException when {@code queueCapacity} jobs already wait; the upload is
     *     deleted
     */
    public Job submit(String jobId, Upload upload, TranscribeOptions options, boolean noCache)
            throws QueueFullException {
        Instant now = clock.instant();
        Job job =
                new Job(
                        jobId,
                        upload.fileName(),
                        upload.sha256(),
                        options,
                        workDir.outputDir(jobId),
                        now);
        if (!noCache && answerFromCache(job)) {
            WorkDir.deleteTree(workDir.inputDir(jobId));
            return job;
        }
        jobs.put(jobId, job);
        try {
            schedule(job, upload.file());
        } catch (RejectedExecutionException e) {
            jobs.remove(jobId);
            WorkDir.deleteTree(workDir.inputDir(jobId));
            throw new QueueFullException(queueCapacity);
        }
        persistQuietly(job);
        return job;
    }

    /**
     * Queues the job's run. Its task is in {@link #running} from before it can start until it ends
     * or is cancelled, so the count of unfinished jobs is that map's size.
     */
    private void schedule(Job job, Path input) {
        job.done().thenAccept(j -> finishListeners.forEach(l -> l.accept(j.snapshot())));
        FutureTask<Void> task = new FutureTask<>(() -> run(job, input), null);
        running.put(job.id(), task);
        try {
            worker.execute(task);
        } catch (RejectedExecutionException e) {
            running.remove(job.id());
            throw e;
        }
    }

    /**
     * Cancels a job that has not finished: it leaves the queue, or stops being waited for (the
     * pipeline may finish its segments; the result is not kept).
     *
     * @return false when the job had already finished
     */
    public boolean cancel(Job job) {
        if (!job.cancel(clock.instant())) {
            return false;
        }
        Future<?> f = running.remove(job.id());
        if (f != null) {
            f.cancel(true);
        }
        persistQuietly(job);
        LOG.info("job {} cancelled", job.id());
        return true;
    }

    /**
     * Takes back a job that was never announced (its upload turned out not to be audio): stops it
     * and forgets it, its files and its record.
     */
    public void withdraw(Job job) {
        jobs.remove(job.id());
        if (job.cancel(clock.instant())) {
            Future<?> f = running.remove(job.id());
            if (f != null) {
                f.cancel(true);
            }
        }
        WorkDir.deleteTree(workDir.inputDir(job.id()));
        WorkDir.deleteTree(job.outputDir());
    }

    /** Every job the service knows, newest first. */
    public List<Job.Snapshot> list() {
        List<Job.Snapshot> all = new ArrayList<>();
        for (Job j : jobs.values()) {
            all.add(j.snapshot());
        }
        all.sort(Comparator.comparing(Job.Snapshot::createdAt).reversed());
        return all;
    }

    /** The job with this id, if it exists; ids that are not well formed find nothing. */
    public Optional<Job> find(String jobId) {
        if (!JobId.isWellFormed(jobId)) {
            return Optional.empty();
        }
        return Optional.ofNullable(jobs.get(jobId));
    }

    /** Jobs queued or running now. */
    public int unfinishedJobs() {
        return running.size();
    }

    /** Jobs accepted and waiting for one of the {@code maxConcurrent} places. */
    public int queuedJobs() {
        return worker.getQueue().size();
    }

    /** How many jobs the service keeps in each state now. */
    public Map<JobState, Integer> jobsByState() {
        Map<JobState, Integer> counts = new java.util.EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            counts.put(s, 0);
        }
        for (Job j : jobs.values()) {
            counts.merge(j.snapshot().state(), 1, Integer::sum);
        }
        return counts;
    }

    /**
     * Calls {@code listener} with every job that was run (not answered from the cache) once it has
     * finished, completed, failed or cancelled; on the thread that finished it.
     */
    public void onJobFinished(java.util.function.Consumer<Job.Snapshot> listener) {
        finishListeners.add(listener);
    }

    /** Whether the model is in memory now; null when unknown (a remote cluster's). */
    public Boolean isModelLoaded() {
        return transcriber.isModelLoaded();
    }

    public String modelName() {
        return transcriber.modelName();
    }

    /** Engine batches by size so far ({@link Transcriber#batchSizes()}). */
    public Map<Integer, Integer> batchSizes() {
        return transcriber.batchSizes();
    }

    /** Loads the model now (for {@code --preload}). */
    public void preload() {
        transcriber.loadModel();
    }

    private boolean answerFromCache(Job job) {
        String sourceId = cache.get(job.cacheKey());
        Job source = sourceId == null ? null : jobs.get(sourceId);
        if (source == null) {
            return false;
        }
        Job.Snapshot s = source.snapshot();
        if (s.state() != JobState.COMPLETED || !Files.isDirectory(source.outputDir())) {
            return false;
        }
        try {
            Files.createDirectories(job.outputDir());
            for (Map.Entry<String, Path> file : s.transcript().files().entrySet()) {
                Path target = job.outputDir().resolve(file.getValue().getFileName());
                linkOrCopy(file.getValue(), target);
            }
            Transcript transcript =
                    reader.read(job.outputDir(), s.fileName(), s.transcript().model());
            job.complete(transcript, true, clock.instant());
            persist(job);
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cache entry of job {} unusable; transcribing again", sourceId, e);
            WorkDir.deleteTree(job.outputDir());
            return false;
        }
        jobs.put(job.id(), job);
        return true;
    }

    private static void linkOrCopy(Path source, Path target) throws IOException {
        try {
            Files.createLink(target, source);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void run(Job job, Path input) {
        if (!job.markRunning(clock.instant())) {
            running.remove(job.id());
            return;
        }
        try {
            Files.createDirectories(job.outputDir());
            Transcript transcript =
                    transcriber.transcribe(input, job.options(), job.outputDir(), job::progress);
            job.complete(transcript, false, clock.instant());
            persist(job);
            cache.put(job.cacheKey(), job.id());
        } catch (Transcriber.TranscriptionFailedException e) {
            if (closing) {
                // Stopped by the service's shutdown: the job stays accepted and resumes at start.
                LOG.info(
                        "job {} left unfinished by the shutdown; it resumes at the next start",
                        job.id());
                return;
            }
            LOG.info("job {} failed: {}", job.id(), e.getMessage());
            job.fail(e.getMessage(), e.clientError(), clock.instant());
            persistQuietly(job);
        } catch (RuntimeException | IOException | Error e) {
            LOG.error("job {} failed unexpectedly", job.id(), e);
            job.fail("internal error while transcribing", false, clock.instant());
            persistQuietly(job);
        } finally {
            running.remove(job.id());
        }
    }

    private void persist(Job job) throws IOException {
        Path record = job.outputDir().resolve(RECORD);
        Path tmp = job.outputDir().resolve(RECORD + ".tmp");
        json.writeValue(tmp.toFile(), JobRecord.of(job.snapshot()));
        Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE);
    }

    private void persistQuietly(Job job) {
        if (!jobs.containsKey(job.id())) {
            return; // withdrawn
        }
        try {
            Files.createDirectories(job.outputDir());
            persist(job);
        } catch (IOException e) {
            LOG.warn("cannot write the record of job {}", job.id(), e);
        }
    }

    /**
     * Reads back every job; resumes those accepted and not finished; removes what a crash left
     * without a record.
     */
    private void restore() {
        List<Job> resume = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(workDir.outputs())) {
            for (Path dir : dirs) {
                String id = dir.getFileName().toString();
                Path record = dir.resolve(RECORD);
                if (!JobId.isWellFormed(id) || !Files.isRegularFile(record)) {
                    LOG.info("removing unfinished job folder {}", id);
                    WorkDir.deleteTree(dir);
                    if (JobId.isWellFormed(id)) {
                        WorkDir.deleteTree(workDir.inputDir(id));
                    }
                    continue;
                }
                try {
                    JobRecord r = json.readValue(record.toFile(), JobRecord.class);
                    Transcript t =
                            r.state() == JobState.COMPLETED
                                    ? reader.read(dir, r.fileName(), null)
                                    : null;
                    Job job = Job.restore(r, dir, t);
                    jobs.put(id, job);
                    if (!job.snapshot().state().finished()) {
                        resume.add(job);
                    }
                    if (job.snapshot().state() == JobState.COMPLETED) {
                        cache.putIfAbsent(job.cacheKey(), id);
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.warn("cannot restore job {}; removing it", id, e);
                    WorkDir.deleteTree(dir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + workDir.outputs(), e);
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(workDir.inputs())) {
            for (Path dir : dirs) {
                if (!jobs.containsKey(dir.getFileName().toString())) {
                    WorkDir.deleteTree(dir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + workDir.inputs(), e);
        }
        for (Job job : resume) {
            Path input = workDir.inputDir(job.id()).resolve(job.fileName());
            if (!Files.isRegularFile(input)) {
                job.fail("the upload was lost in a restart", false, clock.instant());
                persistQuietly(job);
                continue;
            }
            schedule(job, input);
        }
        LOG.info(
                "restored {} jobs from {}, {} of them resumed",
                jobs.size(),
                workDir.root(),
                resume.size());
    }

    /** Deletes inputs, outputs and records of jobs finished longer ago than the retention. */
    public void sweep() {
        Instant cutoff = clock.instant().minus(retention);
        for (Job job : jobs.values()) {
            Job.Snapshot s = job.snapshot();
            if (s.state().finished() && s.finishedAt().isBefore(cutoff)) {
                jobs.remove(s.id());
                cache.remove(job.cacheKey(), s.id());
                WorkDir.deleteTree(workDir.inputDir(s.id()));
                WorkDir.deleteTree(workDir.outputDir(s.id()));
            }
        }
    }

    private void sweepSafely() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warn("retention sweep failed", e);
        }
    }

    /**
     * Stops taking work and stops waiting for the jobs in flight (their records stay accepted, so
     * the next start resumes them), then stops the pipeline and frees the model.
     */
    @Override
    public void close() {
        closing = true;
        housekeeping.shutdownNow();
        worker.shutdownNow();
        try {
            if (!worker.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("workers still busy after 30 s; stopping the pipeline anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        transcriber.close();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
