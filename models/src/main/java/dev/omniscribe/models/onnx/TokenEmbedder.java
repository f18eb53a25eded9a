package dev.omniscribe.models.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.omniscribe.models.ModelSpec;
import java.nio.LongBuffer;
import java.util.Map;

/** Token ids → embeddings ({@code embed_tokens} graph). Thread-safe. */
public final class TokenEmbedder implements AutoCloseable {

    private static final String INPUT_IDS = "input_ids"; // (batch, seq) int64
    private static final String INPUTS_EMBEDS = "inputs_embeds"; // (batch, seq, hidden)

    private final OrtRuntime runtime;
    private final OrtSession session;
    private final String inputIds;
    private final String inputsEmbeds;

    public TokenEmbedder(OrtRuntime runtime, ModelSpec spec) throws OrtException {
        ModelSpec.Graph g = spec.graph(ModelSpec.EMBED_TOKENS);
        this.inputIds = g.input(INPUT_IDS);
        this.inputsEmbeds = g.output(INPUTS_EMBEDS);
        this.runtime = runtime;
        this.session = runtime.open(spec.dir().resolve(g.file()));
    }

    /** Name of the embeddings output in the returned result. */
    public String outputName() {
        return inputsEmbeds;
    }

    /**
     * Embeds a batch of id rows. The caller closes the result.
     *
     * @param ids row-major {@code (batch, seq)}
     * @return a result holding {@link #outputName()}: {@code (batch, seq, hidden)} in the model
     *     dtype
     */
    public OrtSession.Result embed(long[] ids, int batch, int seq) throws OrtException {
        try (OnnxTensor idsT =
                OnnxTensor.createTensor(
                        runtime.env(), LongBuffer.wrap(ids), new long[] {batch, seq})) {
            return session.run(Map.of(inputIds, idsT));
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the embedding session", e);
        }
    }
}
