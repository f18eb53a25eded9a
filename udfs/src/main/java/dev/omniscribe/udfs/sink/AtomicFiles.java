package dev.omniscribe.udfs.sink;

import dev.omniscribe.udfs.FlinkPaths;
import dev.omniscribe.udfs.fs.S3aFileSystem;
import dev.omniscribe.udfs.fs.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/** Writes whole files so that readers never see a half-written one. */
public final class AtomicFiles {

    private AtomicFiles() {}

    /**
     * Writes {@code content} as UTF-8 to a hidden temporary file next to {@code target}, then
     * renames it over {@code target} (replacing an existing file). The temporary name starts with a
     * dot and ends with {@code .tmp}, so the job's source never reads it. It is the same for every
     * attempt at one target, so an attempt that died mid-write (a task manager killed) leaves no
     * stray file once a later attempt succeeds; Flink runs one attempt of a task at a time.
     */
    public static void write(Path target, String content) throws IOException {
        write(Storage.DEFAULT, target, content);
    }

    /**
     * Writes {@code content} as UTF-8 to {@code target} on {@code storage}'s file system, replacing
     * it. On a file system, through a temporary file and a rename (as {@link #write(Path,
     * String)}); on S3, straight to the final key, which appears whole when the upload completes (a
     * rename there is a copy and a delete, and would leave the temporary object on failure).
     */
    public static void write(Storage storage, Path target, String content) throws IOException {
        FileSystem fs = storage.fileSystem(target);
        if (fs instanceof S3aFileSystem s3) {
            s3.writeWhole(target, content.getBytes(StandardCharsets.UTF_8));
            return;
        }
        Path dir = target.getParent();
        fs.mkdirs(dir);
        Path tmp = FlinkPaths.child(dir, "." + target.getName() + ".tmp");
        try {
            try (FSDataOutputStream out = fs.create(tmp, FileSystem.WriteMode.OVERWRITE)) {
                out.write(content.getBytes(StandardCharsets.UTF_8));
                out.sync();
            }
            if (!fs.rename(tmp, target)) {
                // Some file systems (S3A) do not rename over an existing file.
                fs.delete(target, false);
                if (!fs.rename(tmp, target)) {
                    throw new IOException("could not rename " + tmp + " to " + target);
                }
            }
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, false);
            }
        }
    }
}
