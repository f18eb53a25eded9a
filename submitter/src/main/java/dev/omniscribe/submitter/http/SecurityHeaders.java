package dev.omniscribe.submitter.http;

import io.javalin.http.Context;

/** Sets the security headers every response carries; a before-handler. */
final class SecurityHeaders {

    void apply(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cache-Control", "no-store");
        ctx.header("Cross-Origin-Resource-Policy", "same-origin");
        ctx.header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
}
