package dev.omniscribe.submitter.http;

import dev.omniscribe.submitter.jobs.TranscriptionService;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/models}, shaped like OpenAI's list of models: the one model this server runs.
 *
 * <pre>{"object": "list", "data": [{"id": "qwen2.5-omni-7b-awq", "object": "model",
 *  "created": 1733300000, "owned_by": "omniscribe"}]}</pre>
 *
 * {@code id} is the model's name (as transcripts record it), {@code created} the time (Unix
 * seconds) its folder's {@code model.json} was written.
 */
public final class ModelsController {

    static final String OWNER = "omniscribe";

    private final TranscriptionService service;
    private final Path modelDir;

    ModelsController(TranscriptionService service, Path modelDir) {
        this.service = service;
        this.modelDir = modelDir;
    }

    public void list(Context ctx) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", service.modelName());
        model.put("object", "model");
        model.put("created", created());
        model.put("owned_by", OWNER);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", List.of(model));
        ctx.json(body);
    }

    private long created() {
        try {
            return Files.getLastModifiedTime(modelDir.resolve("model.json"))
                    .toInstant()
                    .getEpochSecond();
        } catch (IOException e) {
            // On a remote cluster the folder may not be on this host: the time is unknown.
            return 0;
        }
    }
}
