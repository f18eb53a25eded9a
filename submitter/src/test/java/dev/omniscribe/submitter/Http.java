package dev.omniscribe.submitter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * A small client for the tests: real HTTP over loopback with {@link HttpClient}, multipart bodies
 * built by hand.
 */
final class Http {

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String bearer;

    Http(int port, String bearer) {
        this.base = "http://127.0.0.1:" + port;
        this.bearer = bearer;
    }

    Http withBearer(String token) {
        return new Http(Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)), token);
    }

    URI uri(String path) {
        return URI.create(base + path);
    }

    HttpResponse<String> get(String path) {
        return send(request(path).GET().build());
    }

    HttpResponse<String> postRaw(String path, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder b =
                request(path)
                        .header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return send(b.build());
    }

    /** A multipart/form-data POST with one file part and text fields. */
    HttpResponse<String> postFile(
            String path,
            String field,
            String fileName,
            byte[] content,
            Map<String, String> fields) {
        String boundary = "----test" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        fields.forEach(
                (k, v) ->
                        write(
                                body,
                                "--"
                                        + boundary
                                        + "\r\nContent-Disposition: form-data; name=\""
                                        + k
                                        + "\"\r\n\r\n"
                                        + v
                                        + "\r\n"));
        if (field != null) {
            write(
                    body,
                    "--"
                            + boundary
                            + "\r\nContent-Disposition: form-data; name=\""
                            + field
                            + "\"; filename=\""
                            + fileName
                            + "\"\r\nContent-Type: application/octet-stream\r\n\r\n");
            body.writeBytes(content);
            write(body, "\r\n");
        }
        write(body, "--" + boundary + "--\r\n");
        return send(
                request(path)
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                        .build());
    }

    HttpResponse<String> postFile(String path, String fileName, byte[] content) {
        return postFile(path, "file", fileName, content, Map.of());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofMinutes(3));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return b;
    }

    private static void write(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }
}
