package dev.omniscribe.submitter.http;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Requires {@code Authorization: Bearer <key>} on every request but {@code /health}, {@code
 * /openapi.json} and the web page's files (which hold no data and ask for the key themselves); a
 * before-handler. The comparison takes the same time whatever the key, so the key cannot be found
 * by timing.
 */
final class BearerAuth {

    private final byte[] expected;

    /**
     * @param apiKey the key; null lets every request through
     */
    BearerAuth(String apiKey) {
        this.expected = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
    }

    void check(Context ctx) {
        if (expected == null
                || ctx.path().equals("/health")
                || ctx.path().equals(OpenApiDescription.RESOURCE)
                || WebPage.isPageFile(ctx)) {
            return;
        }
        String header = ctx.header("Authorization");
        String prefix = "Bearer ";
        if (header == null || !header.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw ApiErrors.unauthorized("missing bearer token (Authorization: Bearer <key>)");
        }
        byte[] given = header.substring(prefix.length()).strip().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, expected)) {
            throw ApiErrors.unauthorized("invalid API key");
        }
    }
}
