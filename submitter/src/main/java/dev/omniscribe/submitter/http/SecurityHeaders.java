package dev.omniscribe.submitter.http;

import io.javalin.http.Context;

/**
 * Sets the security headers every response carries; a before-handler. API answers get {@code
 * default-src 'none'}; the web page's files get {@link WebPage#CSP}.
 */
final class SecurityHeaders {

    /** Nothing may load or run in an API answer opened in a browser. */
    static final String API_CSP = "default-src 'none'; frame-ancestors 'none'";

    void apply(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Content-Security-Policy", WebPage.isPageFile(ctx) ? WebPage.CSP : API_CSP);
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cache-Control", "no-store");
        ctx.header("Cross-Origin-Resource-Policy", "same-origin");
        ctx.header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
}
