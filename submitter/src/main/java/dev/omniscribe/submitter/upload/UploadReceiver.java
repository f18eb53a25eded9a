package dev.omniscribe.submitter.upload;

import dev.omniscribe.submitter.http.ApiErrors;
import dev.omniscribe.submitter.jobs.WorkDir;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams an upload to disk: the multipart field {@code file}, or the raw request body (file name
 * from the {@code X-Filename} header, the {@code filename} query parameter or a {@code
 * Content-Disposition} header). The content is never held in memory; it is hashed while it is
 * copied. A declared length over the limit is refused before any of the body is read; a body that
 * grows past it (chunked, or a lying header) is cut off when it does.
 */
public final class UploadReceiver {

    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(UploadReceiver.class);

    /** The multipart field that carries the audio. */
    public static final String FILE_FIELD = "file";

    /** Room for multipart boundaries, part headers and the small text fields beside the file. */
    public static final long MULTIPART_OVERHEAD_BYTES = 256 * 1024;

    private static final Pattern DISPOSITION_NAME =
            Pattern.compile("filename\\s*=\\s*\"?([^\";]+)\"?", Pattern.CASE_INSENSITIVE);

    private final WorkDir workDir;
    private final long maxBytes;

    /**
     * @param workDir where uploads land
     * @param maxBytes largest accepted audio in bytes
     */
    public UploadReceiver(WorkDir workDir, long maxBytes) {
        this.workDir = workDir;
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Stores the request's audio as {@code inputs/<jobId>/<sanitized name>}.
     *
     * @throws io.javalin.http.HttpResponseException 400 (no file, empty), 413 (too large)
     */
    public Upload receive(Context ctx, String jobId) {
        long declared = ctx.req().getContentLengthLong();
        boolean multipart = ctx.isMultipartFormData();
        long allowed = multipart ? maxBytes + MULTIPART_OVERHEAD_BYTES : maxBytes;
        if (declared > allowed) {
            throw tooLarge();
        }
        Path partial = workDir.temp().resolve(jobId + ".upload");
        try {
            String clientName;
            Hashed hashed;
            if (multipart) {
                UploadedFile file = multipartFile(ctx);
                clientName = file.filename();
                try (InputStream in = file.content()) {
                    hashed = copy(in, partial);
                }
            } else {
                if (declared == 0) {
                    throw emptyUpload();
                }
                clientName = rawName(ctx);
                try (InputStream in = ctx.bodyInputStream()) {
                    hashed = copy(in, partial);
                }
            }
            if (hashed.size() == 0) {
                throw emptyUpload();
            }
            String name = FileNames.sanitize(clientName);
            Path dir = workDir.inputDir(jobId);
            Files.createDirectories(dir);
            Path target = dir.resolve(name);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return new Upload(target, name, hashed.sha256(), hashed.size());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store upload", e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                // best effort; temp/ is emptied on the next start
            }
        }
    }

    private UploadedFile multipartFile(Context ctx) {
        List<UploadedFile> files;
        try {
            files = ctx.uploadedFiles(FILE_FIELD);
        } catch (Exception e) { // Jetty's ServletException arrives undeclared through Kotlin
            throw multipartFailure(e);
        }
        if (files.isEmpty()) {
            TreeSet<String> names = new TreeSet<>(ctx.uploadedFileMap().keySet());
            names.addAll(ctx.formParamMap().keySet());
            throw ApiErrors.badRequest(
                    "multipart field '"
                            + FILE_FIELD
                            + "' with the audio is missing"
                            + (names.isEmpty()
                                    ? ""
                                    : "; the request has: " + String.join(", ", names)),
                    FILE_FIELD);
        }
        if (files.size() > 1) {
            throw ApiErrors.badRequest(
                    "send one file per request in field '" + FILE_FIELD + "'", FILE_FIELD);
        }
        return files.get(0);
    }

    /** Maps Jetty's multipart parse failures: size limits to 413, anything else to 400. */
    private RuntimeException multipartFailure(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase();
            if (m.contains("exceed") || m.contains("too large") || m.contains("max ")) {
                return tooLarge();
            }
        }
        return ApiErrors.badRequest("malformed multipart/form-data request");
    }

    private static String rawName(Context ctx) {
        String name = ctx.header("X-Filename");
        if (name == null) {
            name = ctx.queryParam("filename");
        }
        if (name == null) {
            String disposition = ctx.header("Content-Disposition");
            if (disposition != null) {
                Matcher m = DISPOSITION_NAME.matcher(disposition);
                if (m.find()) {
                    name = m.group(1);
                }
            }
        }
        return name;
    }

    private Hashed copy(InputStream in, Path target) throws IOException {
        MessageDigest digest = sha256();
        long size = 0;
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(target)) {
            int n;
            while ((n = readBody(in, buffer)) > 0) {
                size += n;
                if (size > maxBytes) {
                    throw tooLarge();
                }
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        }
        return new Hashed(HexFormat.of().formatHex(digest.digest()), size);
    }

    /**
     * Reads the client's body: a body that stops arriving (the connection's idle timeout) is the
     * client's fault, 408; one that ends before its declared length (the client went away), 400.
     */
    private static int readBody(InputStream in, byte[] buffer) {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            boolean timedOut = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                timedOut |= t instanceof java.util.concurrent.TimeoutException;
            }
            LOG.info("upload body not received whole: {}", e.toString());
            throw timedOut
                    ? ApiErrors.requestTimeout(
                            "the request body stopped arriving before its declared length")
                    : ApiErrors.badRequest("the request body ended before its declared length");
        }
    }

    private RuntimeException tooLarge() {
        return ApiErrors.tooLarge(
                "upload is larger than the limit of " + maxBytes + " bytes (--max-upload-size)");
    }

    private static RuntimeException emptyUpload() {
        return ApiErrors.badRequest(
                "empty upload: send the audio as multipart field '"
                        + FILE_FIELD
                        + "' or as the request body",
                FILE_FIELD);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private record Hashed(String sha256, long size) {}
}
