package dev.omniscribe.pipeline;

import dev.omniscribe.udfs.fs.S3aFileSystem;
import dev.omniscribe.udfs.fs.Storage;
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
 * Flink's local file system fails a whole listing on one file name containing a colon. S3 prefixes
 * ({@code s3a://}) are listed flat through S3A (a thousand keys per request, whatever the depth);
 * other file systems through Flink's {@link FileSystem}.
 *
 * <p>Watching, a local file is listed only once it has been left alone for a while (its
 * modification time is older than the settle time), so a file still being copied in is not read
 * half; the next poll picks it up. S3 objects need no such wait: an object is listed only after its
 * upload has completed.
 */
public final class AudioFileLister implements FileEnumerator {

    /** One listed file. */
    public record Listed(Path path, long size, long modificationTime) {}

    /** How long a local file must stay unchanged before a watching source reads it, ms. */
    public static final long SETTLE_MILLIS = 2_000;

    private final AudioFileFilter filter;
    private final Storage storage;
    private final long settleMillis;
    private final String idPrefix = UUID.randomUUID().toString();
    private final AtomicLong nextId = new AtomicLong();

    public AudioFileLister(AudioFileFilter filter) {
        this(filter, Storage.DEFAULT, 0);
    }

    /**
     * @param filter which paths to read
     * @param storage how {@code s3a://} roots are reached
     * @param settleMillis local files modified less than this many ms ago are left for a later
     *     listing (0: list everything)
     */
    public AudioFileLister(AudioFileFilter filter, Storage storage, long settleMillis) {
        this.filter = filter;
        this.storage = storage;
        this.settleMillis = settleMillis;
    }

    /** A provider for {@code FileSource.setFileEnumerator}. */
    public static FileEnumerator.Provider provider(AudioFileFilter filter) {
        return provider(filter, Storage.DEFAULT, 0);
    }

    /** A provider for {@code FileSource.setFileEnumerator}. */
    public static FileEnumerator.Provider provider(
            AudioFileFilter filter, Storage storage, long settleMillis) {
        return (FileEnumerator.Provider & Serializable)
                () -> new AudioFileLister(filter, storage, settleMillis);
    }

    @Override
    public Collection<FileSourceSplit> enumerateSplits(Path[] paths, int minDesiredSplits)
            throws IOException {
        List<FileSourceSplit> splits = new ArrayList<>();
        long settledBefore = System.currentTimeMillis() - settleMillis;
        for (Path root : paths) {
            for (Listed f : list(root, filter, storage)) {
                if (settleMillis > 0
                        && !Storage.isS3(f.path())
                        && f.modificationTime() > settledBefore) {
                    continue;
                }
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
        return list(root, filter, Storage.DEFAULT);
    }

    /**
     * Every file below {@code root} that {@code filter} accepts, in no particular order, with
     * {@code storage}'s settings for S3.
     */
    public static List<Listed> list(Path root, AudioFileFilter filter, Storage storage)
            throws IOException {
        FileSystem fs = storage.fileSystem(root);
        List<Listed> out = new ArrayList<>();
        if (fs instanceof S3aFileSystem s3) {
            listFlat(s3, root, filter, out);
        } else if ("file".equals(fs.getUri().getScheme()) && !fs.isDistributedFS()) {
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

    private static void listFlat(
            S3aFileSystem fs, Path root, AudioFileFilter filter, List<Listed> out)
            throws IOException {
        FileStatus rootStatus;
        try {
            rootStatus = fs.getFileStatus(root);
        } catch (java.io.FileNotFoundException e) {
            // An empty prefix: nothing yet (a watched prefix fills later).
            return;
        }
        if (!rootStatus.isDir()) {
            out.add(new Listed(root, rootStatus.getLen(), rootStatus.getModificationTime()));
            return;
        }
        String rootPath = root.toUri().getPath();
        for (FileStatus f : fs.listFilesRecursively(root)) {
            if (acceptedBelow(f.getPath(), rootPath, filter)) {
                out.add(new Listed(f.getPath(), f.getLen(), f.getModificationTime()));
            }
        }
    }

    // The file and every folder between it and the root pass the filter (as in a tree walk).
    private static boolean acceptedBelow(Path file, String rootPath, AudioFileFilter filter) {
        Path p = file;
        while (p != null && p.toUri().getPath().length() > rootPath.length()) {
            if (!filter.test(p)) {
                return false;
            }
            p = p.getParent();
        }
        return true;
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
