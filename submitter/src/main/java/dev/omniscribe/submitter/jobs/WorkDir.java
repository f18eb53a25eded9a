package dev.omniscribe.submitter.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The service's folder: {@code inputs/<job id>/} holds an upload, {@code outputs/<job id>/} its
 * transcripts and job record, {@code temp/} uploads in flight. Every path below it is built from a
 * well-formed job id and a sanitized name, never from raw request text.
 */
public final class WorkDir {

    private final Path root;
    private final Path inputs;
    private final Path outputs;
    private final Path temp;

    /** Creates the folders if needed and empties {@code temp/} (uploads cut off by a restart). */
    public WorkDir(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.inputs = this.root.resolve("inputs");
        this.outputs = this.root.resolve("outputs");
        this.temp = this.root.resolve("temp");
        try {
            Files.createDirectories(inputs);
            Files.createDirectories(outputs);
            if (Files.exists(temp)) {
                deleteTree(temp);
            }
            Files.createDirectories(temp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare work folder " + this.root, e);
        }
    }

    public Path root() {
        return root;
    }

    public Path inputs() {
        return inputs;
    }

    public Path outputs() {
        return outputs;
    }

    public Path temp() {
        return temp;
    }

    /** {@code inputs/<id>/}; the id must be well formed. */
    public Path inputDir(String jobId) {
        return inputs.resolve(checked(jobId));
    }

    /** {@code outputs/<id>/}; the id must be well formed. */
    public Path outputDir(String jobId) {
        return outputs.resolve(checked(jobId));
    }

    private static String checked(String jobId) {
        if (!JobId.isWellFormed(jobId)) {
            throw new IllegalArgumentException("not a job id: " + jobId);
        }
        return jobId;
    }

    /** Deletes a file or a folder with everything in it; a missing path is fine. */
    public static void deleteTree(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try {
            Files.walkFileTree(
                    path,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                                throws IOException {
                            Files.deleteIfExists(file);
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult postVisitDirectory(Path dir, IOException exc)
                                throws IOException {
                            Files.deleteIfExists(dir);
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (NoSuchFileException e) {
            // deleted concurrently: fine
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }
}
