package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.connector.source.mocks.MockSplitEnumeratorContext;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.PendingSplitsCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inbox hands out each file once and forgets it once it is removed. */
class InboxSourceTest {

    @TempDir Path inbox;

    @Test
    void eachFileIsReadOnceAndForgottenWhenRemoved() throws Throwable {
        InboxSource source = new InboxSource(inbox.toUri().toString(), Duration.ofMillis(10));
        try (MockSplitEnumeratorContext<FileSourceSplit> context =
                        new MockSplitEnumeratorContext<>(1);
                SplitEnumerator<FileSourceSplit, PendingSplitsCheckpoint<FileSourceSplit>>
                        enumerator = source.createEnumerator(context)) {
            context.registerReader(new ReaderInfo(0, "localhost"));
            enumerator.start();
            Path first = upload("job1", "a.wav");

            enumerator.handleSplitRequest(0, "localhost");
            context.runPeriodicCallable(0);
            assertThat(assigned(context)).containsExactly("a.wav");

            // Listed again while in flight: not handed out twice.
            enumerator.handleSplitRequest(0, "localhost");
            context.runPeriodicCallable(0);
            assertThat(assigned(context)).containsExactly("a.wav");
            assertThat(remembered(enumerator)).containsExactly("a.wav");

            // Done and removed; another upload arrives.
            Files.delete(first);
            Files.delete(first.getParent());
            upload("job2", "b.wav");
            context.runPeriodicCallable(0);
            assertThat(assigned(context)).containsExactly("a.wav", "b.wav");
            assertThat(remembered(enumerator)).containsExactly("b.wav");

            // A thousand uploads later, only what is still in the inbox is remembered.
            for (int i = 0; i < 1000; i++) {
                Path p = upload("many" + i, "c.wav");
                enumerator.handleSplitRequest(0, "localhost");
                context.runPeriodicCallable(0);
                Files.delete(p);
                Files.delete(p.getParent());
            }
            context.runPeriodicCallable(0);
            assertThat(assigned(context)).hasSize(1002);
            assertThat(remembered(enumerator)).containsExactly("b.wav");
        }
    }

    private Path upload(String job, String name) throws Exception {
        Path dir = Files.createDirectories(inbox.resolve(job));
        return Files.write(dir.resolve(name), new byte[] {'R', 'I', 'F', 'F'});
    }

    private static List<String> assigned(MockSplitEnumeratorContext<FileSourceSplit> context) {
        return context.getSplitsAssignmentSequence().stream()
                .map(SplitsAssignment::assignment)
                .flatMap(m -> m.values().stream())
                .flatMap(List::stream)
                .map(s -> s.path().getName())
                .collect(Collectors.toList());
    }

    private static List<String> remembered(
            SplitEnumerator<FileSourceSplit, PendingSplitsCheckpoint<FileSourceSplit>> enumerator)
            throws Exception {
        return enumerator.snapshotState(1).getAlreadyProcessedPaths().stream()
                .map(p -> p.getName())
                .sorted()
                .collect(Collectors.toList());
    }
}
