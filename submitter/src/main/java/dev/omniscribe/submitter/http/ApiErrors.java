package dev.omniscribe.submitter.http;

import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.validation.ValidationError;
import io.javalin.validation.ValidationException;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one error shape every endpoint answers with, and the exceptions that produce it.
 *
 * <pre>{"status": "error", "error": {"code": "unsupported_media_type", "message": "...",
 *  "type": "invalid_request_error", "param": null}}</pre>
 *
 * <p>{@code error.message}, {@code error.type} and {@code error.param} (the request parameter at
 * fault, or null) are where OpenAI clients look. No stack trace or server path ever reaches a
 * client; unexpected exceptions are logged and answered with a generic 500.
 */
public final class ApiErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

    /** Detail key whose value becomes a {@code Retry-After} header (seconds). */
    static final String RETRY_AFTER = "retry_after";

    /** Detail key whose value becomes {@code error.param}: the request parameter at fault. */
    static final String PARAM = "param";

    private ApiErrors() {}

    public static HttpResponseException badRequest(String message) {
        return error(HttpStatus.BAD_REQUEST, message);
    }

    /** 400 for the request parameter {@code param} (named in {@code error.param}). */
    public static HttpResponseException badRequest(String message, String param) {
        return new HttpResponseException(
                HttpStatus.BAD_REQUEST.getCode(), message, Map.of(PARAM, param));
    }

    public static HttpResponseException requestTimeout(String message) {
        return error(HttpStatus.REQUEST_TIMEOUT, message);
    }

    public static HttpResponseException notFound(String message) {
        return error(HttpStatus.NOT_FOUND, message);
    }

    public static HttpResponseException tooLarge(String message) {
        return error(HttpStatus.CONTENT_TOO_LARGE, message);
    }

    public static HttpResponseException unsupportedMedia(String message) {
        return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, message);
    }

    public static HttpResponseException unprocessable(String message) {
        return error(HttpStatus.UNPROCESSABLE_CONTENT, message);
    }

    public static HttpResponseException unavailable(String message, long retryAfterSeconds) {
        return new HttpResponseException(
                HttpStatus.SERVICE_UNAVAILABLE.getCode(),
                message,
                Map.of(RETRY_AFTER, Long.toString(retryAfterSeconds)));
    }

    public static HttpResponseException tooManyRequests(String message, long retryAfterSeconds) {
        return new HttpResponseException(
                HttpStatus.TOO_MANY_REQUESTS.getCode(),
                message,
                Map.of(RETRY_AFTER, Long.toString(retryAfterSeconds)));
    }

    public static HttpResponseException unauthorized(String message) {
        return error(HttpStatus.UNAUTHORIZED, message);
    }

    private static HttpResponseException error(HttpStatus status, String message) {
        return new HttpResponseException(status.getCode(), message);
    }

    /** Answers a thrown {@link HttpResponseException} in the shared shape. */
    static void handleHttp(HttpResponseException e, Context ctx) {
        String retryAfter = e.getDetails().get(RETRY_AFTER);
        if (retryAfter != null) {
            ctx.header("Retry-After", retryAfter);
        }
        if (e.getStatus() == HttpStatus.UNAUTHORIZED.getCode()) {
            ctx.header("WWW-Authenticate", "Bearer");
        }
        String message = e.getMessage() == null || e.getMessage().isBlank() ? null : e.getMessage();
        respond(ctx, e.getStatus(), message, e.getDetails().get(PARAM));
    }

    /**
     * Reads what is left of a refused request's body, up to {@value #DRAIN_LIMIT} bytes and {@value
     * #DRAIN_MILLIS} ms, before the refusal is sent. A server that answers early and closes the
     * connection while the client is still sending makes the client's kernel reset it, and the
     * client may then lose the answer (seen as "no response"). A longer body, or one that stopped
     * arriving, is not waited for. The connection is marked to close either way, so no client
     * reuses it.
     */
    private static void finishBody(Context ctx, int status) {
        long declared = ctx.req().getContentLengthLong();
        boolean chunked = declared < 0 && ctx.header("Transfer-Encoding") != null;
        if (declared <= 0 && !chunked) {
            return;
        }
        if (status != HttpStatus.REQUEST_TIMEOUT.getCode() && declared <= DRAIN_LIMIT) {
            try {
                // Reads block (Jetty reads the network only when asked), so the time is checked
                // between reads, and the connection, closed after this answer anyway, waits at
                // most DRAIN_MILLIS for a client that stops sending: a refused client (a wrong API
                // key) cannot hold a server thread for the idle timeout.
                limitIdleTimeout(ctx);
                InputStream in = ctx.req().getInputStream();
                byte[] buf = new byte[16 * 1024];
                long left = DRAIN_LIMIT;
                long deadline = System.nanoTime() + DRAIN_MILLIS * 1_000_000;
                int n;
                while (left > 0
                        && System.nanoTime() < deadline
                        && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) >= 0) {
                    left -= n;
                }
            } catch (IOException | RuntimeException e) {
                // Already read (a parsed form) or gone: nothing more to wait for.
            }
        }
        // Even a body read to its end: Jetty may close a connection whose request failed, and a
        // client that reused it would find it gone.
        ctx.header("Connection", "close");
    }

    private static void limitIdleTimeout(Context ctx) {
        try {
            ServletContextRequest.getServletContextRequest(ctx.req())
                    .getConnectionMetaData()
                    .getConnection()
                    .getEndPoint()
                    .setIdleTimeout(DRAIN_MILLIS);
        } catch (RuntimeException e) {
            // Not served by Jetty: the reads keep the server's idle timeout.
        }
    }

    /** Most bytes of a refused request's body read before answering ({@link #finishBody}). */
    static final long DRAIN_LIMIT = 1 << 20;

    /** Longest time spent reading a refused request's body ({@link #finishBody}). */
    static final long DRAIN_MILLIS = 1000;

    /** Answers a failed {@code *AsClass(..).check(..)} with 400 and the failed fields. */
    static void handleValidation(ValidationException e, Context ctx) {
        String message =
                e.getErrors().entrySet().stream()
                        .map(en -> en.getKey() + ": " + describe(en.getValue()))
                        .collect(Collectors.joining("; "));
        String param = e.getErrors().keySet().stream().findFirst().orElse(null);
        respond(ctx, HttpStatus.BAD_REQUEST.getCode(), "invalid parameter: " + message, param);
    }

    /** Logs an unexpected exception and answers 500 without any of its detail. */
    static void handleUnexpected(Exception e, Context ctx) {
        LOG.error("unexpected error serving {} {}", ctx.method(), ctx.path(), e);
        respond(ctx, HttpStatus.INTERNAL_SERVER_ERROR.getCode(), null, null);
    }

    private static String describe(List<ValidationError<Object>> errors) {
        return errors.stream()
                .map(
                        err ->
                                switch (err.getMessage()) {
                                    case "TYPE_CONVERSION_FAILED" ->
                                            "not a valid value (" + err.value + ")";
                                    case "NULLCHECK_FAILED" -> "is required";
                                    default -> err.getMessage();
                                })
                .collect(Collectors.joining(", "));
    }

    static void respond(Context ctx, int status, String message, String param) {
        HttpStatus s = HttpStatus.forStatus(status);
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code(s));
        error.put("message", message == null ? s.getMessage() : message);
        error.put("type", status >= 500 ? "server_error" : "invalid_request_error");
        error.put("param", param);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "error");
        body.put("error", error);
        finishBody(ctx, status);
        ctx.status(status).json(body);
    }

    private static String code(HttpStatus s) {
        return s.getMessage().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    }
}
