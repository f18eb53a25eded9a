package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.AudioFile;
import dev.omniscribe.udfs.FlinkPaths;
import dev.omniscribe.udfs.fs.Storage;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.connector.file.src.AbstractFileSource;
import org.apache.flink.connector.file.src.ContinuousEnumerationSettings;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.FileSourceSplitSerializer;
import org.apache.flink.connector.file.src.PendingSplitsCheckpoint;
import org.apache.flink.connector.file.src.assigners.FileSplitAssigner;
import org.apache.flink.connector.file.src.assigners.SimpleSplitAssigner;
import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watched inbox: each file is read once it appears, and forgotten once it is gone.
 *
 * <p>Flink's watching {@code FileSource} remembers every path it has handed out for the life of the
 * job, so that a file left in place is not read twice. In an inbox, files leave once they are done
 * (the HTTP service removes each upload's folder after its transcript is written), and a job that
 * never ends would hold one path per upload it ever took. This source remembers a path only while
 * it is still listed; otherwise it reads like the {@code FileSource} it is built from (same reader,
 * split type and checkpoint).
 */
public final class InboxSource extends AbstractFileSource<AudioFile, FileSourceSplit> {

    private static final long serialVersionUID = 1L;

    private final Path[] roots;
    private final long pollMillis;

    /**
     * @param input the inbox folder's URI
     * @param pollInterval how often it is listed
     */
    public InboxSource(String input, Duration pollInterval) {
        super(
                new Path[] {FlinkPaths.of(input)},
                AudioFileLister.provider(new AudioFileFilter(input, null), Storage.DEFAULT, 0),
                SimpleSplitAssigner::new,
                new AudioFileFormat(input, true),
                new ContinuousEnumerationSettings(pollInterval));
        this.roots = new Path[] {FlinkPaths.of(input)};
        this.pollMillis = pollInterval.toMillis();
    }

    @Override
    public SimpleVersionedSerializer<FileSourceSplit> getSplitSerializer() {
        return FileSourceSplitSerializer.INSTANCE;
    }

    @Override
    public SplitEnumerator<FileSourceSplit, PendingSplitsCheckpoint<FileSourceSplit>>
            createEnumerator(SplitEnumeratorContext<FileSourceSplit> context) {
        return new Enumerator(
                context,
                getEnumeratorFactory().create(),
                getAssignerFactory().create(new ArrayList<>()),
                roots,
                List.of(),
                pollMillis);
    }

    @Override
    public SplitEnumerator<FileSourceSplit, PendingSplitsCheckpoint<FileSourceSplit>>
            restoreEnumerator(
                    SplitEnumeratorContext<FileSourceSplit> context,
                    PendingSplitsCheckpoint<FileSourceSplit> checkpoint) {
        return new Enumerator(
                context,
                getEnumeratorFactory().create(),
                getAssignerFactory().create(new ArrayList<>(checkpoint.getSplits())),
                roots,
                checkpoint.getAlreadyProcessedPaths(),
                pollMillis);
    }

    /**
     * Lists the inbox every poll; hands each newly listed file to the next reader that asks, and
     * keeps a path only while the listing still shows it.
     */
    static final class Enumerator
            implements SplitEnumerator<FileSourceSplit, PendingSplitsCheckpoint<FileSourceSplit>> {

        private static final Logger LOG = LoggerFactory.getLogger(Enumerator.class);

        private final SplitEnumeratorContext<FileSourceSplit> context;
        private final FileEnumerator lister;
        private final FileSplitAssigner assigner;
        private final Path[] roots;
        private final long pollMillis;
        private final Set<Path> known;
        private final Map<Integer, String> awaiting = new LinkedHashMap<>();

        Enumerator(
                SplitEnumeratorContext<FileSourceSplit> context,
                FileEnumerator lister,
                FileSplitAssigner assigner,
                Path[] roots,
                Collection<Path> known,
                long pollMillis) {
            this.context = context;
            this.lister = lister;
            this.assigner = assigner;
            this.roots = roots;
            this.known = new HashSet<>(known);
            this.pollMillis = pollMillis;
        }

        @Override
        public void start() {
            context.callAsync(this::list, this::listed, pollMillis, pollMillis);
        }

        private Collection<FileSourceSplit> list() throws IOException {
            return lister.enumerateSplits(roots, 1);
        }

        /** Takes a listing (on the coordinator's thread). */
        private void listed(Collection<FileSourceSplit> splits, Throwable error) {
            if (error != null) {
                LOG.error("cannot list the inbox {}", Arrays.toString(roots), error);
                return;
            }
            Set<Path> listedNow = new HashSet<>();
            List<FileSourceSplit> fresh = new ArrayList<>();
            for (FileSourceSplit split : splits) {
                listedNow.add(split.path());
                if (known.add(split.path())) {
                    fresh.add(split);
                }
            }
            // Gone from the inbox: done with, so no longer needed to tell apart from new files.
            known.retainAll(listedNow);
            if (!fresh.isEmpty()) {
                assigner.addSplits(fresh);
            }
            assign();
        }

        @Override
        public void handleSplitRequest(int subtask, String host) {
            awaiting.put(subtask, host);
            assign();
        }

        @Override
        public void addSplitsBack(List<FileSourceSplit> splits, int subtask) {
            // A failed reader's files: read again by another.
            assigner.addSplits(splits);
        }

        @Override
        public void addReader(int subtask) {
            // Readers ask for files when they are ready.
        }

        private void assign() {
            Iterator<Map.Entry<Integer, String>> it = awaiting.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<Integer, String> reader = it.next();
                if (!context.registeredReaders().containsKey(reader.getKey())) {
                    it.remove();
                    continue;
                }
                Optional<FileSourceSplit> next = assigner.getNext(reader.getValue());
                if (next.isEmpty()) {
                    return;
                }
                context.assignSplit(next.get(), reader.getKey());
                it.remove();
            }
        }

        @Override
        public PendingSplitsCheckpoint<FileSourceSplit> snapshotState(long checkpointId) {
            return PendingSplitsCheckpoint.fromCollectionSnapshot(
                    assigner.remainingSplits(), known);
        }

        @Override
        public void close() {
            // Nothing held: the listing runs on the context's worker thread.
        }
    }
}
