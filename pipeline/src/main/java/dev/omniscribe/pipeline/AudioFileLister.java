package dev.omniscribe.pipeline;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Lists the audio files below a root, recursively, one split per file.
 *
 * <p>Local folders are walked with {@code java.nio} and every path is built from its URI, because
 * Flink's local file system fails a whole listing on one file name containing a colon. Other file
 * systems ({@code s3a://}) are listed through Flink's {@link FileSystem}.
 */
public final class AudioFileLister implements FileEnumerator {

    /** One listed file. */
    public record Listed(Path path, long size, long modificationTime) {}

    private final AudioFileFilter filter;
    private final String idPrefix = UUID.randomUUID().toString();
    private final AtomicLong nextId = new AtomicLong();

    public AudioFileLister(AudioFileFilter filter) {
        this.filter = filter;
    }

    /** A provider for {@code FileSource.setFileEnumerator}. */
    public static FileEnumerator.Provider provider(AudioFileFilter filter) {
        return (FileEnumerator.Provider & Serializable) () -> new AudioFileLister(filter);
    }

    @Override
    public Collection<FileSourceSplit> enumerateSplits(Path[] paths, int minDesiredSplits)
            throws IOException {
        List<FileSourceSplit> splits = new ArrayList<>();
        for (Path root : paths) {
            for (Listed f : list(root, filter)) {
                splits.add(
                        new FileSourceSplit(
                                idPrefix + "-" + nextId.getAndIncrement(),
                                f.path(),
                                0,
                                f.size(),
                                f.modificationTime(),
                                f.size()));
            }
        }
        return splits;
    }

    /** Every file below {@code root} that {@code filter} accepts, in no particular order. */
    public static List<Listed> list(Path root, AudioFileFilter filter) throws IOException {
        FileSystem fs = root.getFileSystem();
        List<Listed> out = new ArrayList<>();
        if ("file".equals(fs.getUri().getScheme()) && !fs.isDistributedFS()) {
            walkLocal(root, filter, out);
        } else {
            walk(fs, fs.getFileStatus(root), filter, out);
        }
        return out;
    }

    private static void walkLocal(Path root, AudioFileFilter filter, List<Listed> out)
            throws IOException {
        Files.walkFileTree(
                Paths.get(root.toUri()),
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(
                            java.nio.file.Path dir, BasicFileAttributes attrs) {
                        return filter.test(new Path(dir.toUri()))
                                ? FileVisitResult.CONTINUE
                                : FileVisitResult.SKIP_SUBTREE;
                    }

                    @Override
                    public FileVisitResult visitFile(
                            java.nio.file.Path file, BasicFileAttributes attrs) {
                        Path p = new Path(file.toUri());
                        if (attrs.isRegularFile() && filter.test(p)) {
                            out.add(
                                    new Listed(
                                            p, attrs.size(), attrs.lastModifiedTime().toMillis()));
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(java.nio.file.Path file, IOException e) {
                        // An unreadable entry shows up later as a decode failure or not at all.
                        return FileVisitResult.CONTINUE;
                    }
                });
    }

    private static void walk(
            FileSystem fs, FileStatus status, AudioFileFilter filter, List<Listed> out)
            throws IOException {
        if (!filter.test(status.getPath())) {
            return;
        }
        if (status.isDir()) {
            FileStatus[] children = fs.listStatus(status.getPath());
            if (children != null) {
                for (FileStatus c : children) {
                    walk(fs, c, filter, out);
                }
            }
        } else {
            out.add(new Listed(status.getPath(), status.getLen(), status.getModificationTime()));
        }
    }
}
