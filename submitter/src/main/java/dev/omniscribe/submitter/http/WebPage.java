package dev.omniscribe.submitter.http;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.Set;

/**
 * The single page at {@code /} (static files from the class path folder {@code web/}): which paths
 * are the page's files, and the Content-Security-Policy they are served with.
 *
 * <p>The page's files carry no data and are public: with {@code --api-key} the page asks for the
 * key and sends it with every API request itself. Every other path keeps the API's policy, {@code
 * default-src 'none'}.
 */
final class WebPage {

    /** Class path folder the files are served from. */
    static final String CLASSPATH_DIR = "/web";

    /** Request paths of the page's files; a test checks this matches the folder. */
    static final Set<String> PATHS =
            Set.of("/", "/index.html", "/app.js", "/app.css", "/favicon.svg");

    /**
     * Only this origin's script, style, icon and API; the player may play the picked file through a
     * {@code blob:} URL. No inline script or style, no frames, no plugins, no form posts, and
     * Trusted Types required (the page never writes HTML).
     */
    static final String CSP =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
                    + " connect-src 'self'; media-src blob:; base-uri 'none'; form-action 'none';"
                    + " frame-ancestors 'none'; require-trusted-types-for 'script'";

    private WebPage() {}

    /** Whether this request reads one of the page's files. */
    static boolean isPageFile(Context ctx) {
        HandlerType method = ctx.method();
        return (method == HandlerType.GET || method == HandlerType.HEAD)
                && PATHS.contains(ctx.path());
    }
}
