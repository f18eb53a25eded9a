package dev.omniscribe.submitter.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json}: the OpenAPI 3.1 description of every endpoint, the file {@code
 * submitter/src/main/resources/openapi.json} as committed (read once from the class path).
 */
public final class OpenApiDescription {

    /** Where the description lies on the class path. */
    public static final String RESOURCE = "/openapi.json";

    private final byte[] json;

    OpenApiDescription() {
        try (InputStream in = OpenApiDescription.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            json = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    void serve(Context ctx) {
        ctx.contentType("application/json").result(json);
    }
}
