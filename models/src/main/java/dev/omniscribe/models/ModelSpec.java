package dev.omniscribe.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The contents of a model folder's {@code model.json} (see {@code models/MODEL_FORMAT.md}): graph
 * files and their input/output names, decoder and audio sizes, special token ids and the default
 * prompt. Every id and size the engine uses comes from here.
 *
 * @param dir the model folder
 * @param modelName short name for outputs and logs
 * @param dtype activation dtype of the graphs, {@code float32} or {@code float16}
 * @param weights decoder weight format ({@code quantization.weights}): int4, float16 or float32
 * @param graphs graph name → file and input/output tensors
 * @param decoder decoder sizes ({@code model.json: decoder})
 * @param audio audio front-end parameters
 * @param tokens special token ids
 * @param defaultPrompt system and user prompts used when a request gives none
 */
public record ModelSpec(
        Path dir,
        String modelName,
        String dtype,
        String weights,
        Map<String, Graph> graphs,
        DecoderSizes decoder,
        Audio audio,
        Tokens tokens,
        DefaultPrompt defaultPrompt) {

    /** Mel chunks to audio embeddings; opened by the loop in Java only. */
    public static final String AUDIO_ENCODER = "audio_encoder";

    /** Token ids to embeddings; opened by the loop in Java only. */
    public static final String EMBED_TOKENS = "embed_tokens";

    /** One prefill or decode step with a KV cache: the loop in Java ({@link DecodeLoop#STEPS}). */
    public static final String DECODER = "decoder";

    /**
     * The whole generation (audio tower, prefill, ONNX Loop) in one graph: the loop in the graph
     * ({@link DecodeLoop#GRAPH}).
     */
    public static final String GENERATE = "generate";

    public ModelSpec {
        Objects.requireNonNull(dir, "dir");
        if (!"float32".equals(dtype) && !"float16".equals(dtype)) {
            throw new IllegalArgumentException(
                    "model.json dtype must be float32 or float16, got " + dtype);
        }
        if (!graphs.containsKey(DECODER) && !graphs.containsKey(GENERATE)) {
            throw new IllegalArgumentException(
                    "model.json lists neither graph '" + DECODER + "' nor '" + GENERATE + "'");
        }
        graphs = Map.copyOf(graphs);
    }

    /**
     * One ONNX graph of the folder.
     *
     * @param file file name inside the model folder
     * @param inputs input tensor name → dtype
     * @param outputs output tensor name → dtype
     */
    public record Graph(String file, Map<String, String> inputs, Map<String, String> outputs) {
        public Graph {
            inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
            outputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        }

        /** The input named {@code name}; fails with a clear message if the graph lacks it. */
        public String input(String name) {
            if (!inputs.containsKey(name)) {
                throw new IllegalArgumentException(
                        file + " has no input '" + name + "' (has " + inputs.keySet() + ")");
            }
            return name;
        }

        /** The output named {@code name}; fails with a clear message if the graph lacks it. */
        public String output(String name) {
            if (!outputs.containsKey(name)) {
                throw new IllegalArgumentException(
                        file + " has no output '" + name + "' (has " + outputs.keySet() + ")");
            }
            return name;
        }
    }

    /** Decoder sizes. {@code maxPositionEmbeddings} bounds prompt plus generated tokens. */
    public record DecoderSizes(
            int numLayers,
            int numAttentionHeads,
            int numKvHeads,
            int headDim,
            int hiddenSize,
            int vocabSize,
            int maxPositionEmbeddings) {
        public DecoderSizes {
            if (numLayers < 1 || numKvHeads < 1 || headDim < 1 || hiddenSize < 1 || vocabSize < 1) {
                throw new IllegalArgumentException("model.json decoder sizes must be positive");
            }
            if (maxPositionEmbeddings < 1) {
                throw new IllegalArgumentException(
                        "model.json decoder.max_position_embeddings must be positive");
            }
        }
    }

    /**
     * Audio front end.
     *
     * @param samplingRate Hz
     * @param nFft FFT length in samples
     * @param hopLength hop in samples
     * @param nMels mel bins
     * @param chunkFrames mel frames per encoder chunk
     * @param tokensPerChunk encoder output rows per chunk
     * @param maxSamples longest accepted audio in samples (the processor's padded length)
     */
    public record Audio(
            int samplingRate,
            int nFft,
            int hopLength,
            int nMels,
            int chunkFrames,
            int tokensPerChunk,
            int maxSamples) {
        public Audio {
            if (samplingRate < 1 || nFft < 1 || hopLength < 1 || nMels < 1 || chunkFrames < 1) {
                throw new IllegalArgumentException("model.json audio sizes must be positive");
            }
            if (maxSamples < nFft) {
                throw new IllegalArgumentException(
                        "model.json audio max length must be at least n_fft samples");
            }
        }

        /** Longest accepted audio in seconds. */
        public double maxSeconds() {
            return (double) maxSamples / samplingRate;
        }
    }

    /** Special token ids; {@code eos} lists every id that ends generation. */
    public record Tokens(
            int endoftext,
            int imStart,
            int imEnd,
            int audio,
            int audioBos,
            int audioEos,
            int pad,
            int[] eos) {
        public Tokens {
            eos = eos.clone();
        }

        public boolean isStop(int id) {
            if (id == imEnd) {
                return true;
            }
            for (int e : eos) {
                if (e == id) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The folder's prompt ({@code model.json: prompt}): the system message, the instruction, and
     * how the instruction names a language, carries context and stands beside the audio. The fields
     * a folder lacks take Qwen2.5-Omni's wording ({@code models/README.md} says where it comes
     * from).
     *
     * @param system the system message
     * @param user the instruction when no language is given
     * @param userLanguage the instruction for a given language, {@value #LANGUAGE} standing for the
     *     language's English name ({@code prompt.user_language})
     * @param userByLanguage instructions of their own for some ISO 639-1 codes ({@code
     *     prompt.user_by_language}), used instead of {@code userLanguage}
     * @param context the line put before the instruction when a request gives context, {@value
     *     #CONTEXT} standing for it ({@code prompt.context})
     * @param detectLanguage the question asked to find the spoken language ({@code
     *     prompt.detect_language}); the answer is read as an ISO 639-1 code
     * @param instructionFirst whether the instruction stands before the audio in the user turn
     *     ({@code prompt.instruction}: {@code before_audio}) or after it ({@code after_audio}, the
     *     layout when the field is absent)
     */
    public record DefaultPrompt(
            String system,
            String user,
            String userLanguage,
            Map<String, String> userByLanguage,
            String context,
            String detectLanguage,
            boolean instructionFirst) {

        /** Stands for the language's English name in {@link #userLanguage()}. */
        public static final String LANGUAGE = "{language}";

        /** Stands for the request's context in {@link #context()}. */
        public static final String CONTEXT = "{context}";

        /** Qwen2.5-Omni's speech recognition instruction naming the language. */
        public static final String QWEN_USER_LANGUAGE =
                "Transcribe the " + LANGUAGE + " audio into text.";

        /** Qwen2.5-Omni's own wording for Chinese. */
        public static final Map<String, String> QWEN_USER_BY_LANGUAGE =
                Map.of("zh", "请将这段中文语音转换为纯文本。");

        /** The context line when a folder gives none. */
        public static final String DEFAULT_CONTEXT =
                "Context (earlier text, names and terms that may occur in the audio): " + CONTEXT;

        /** The language question when a folder gives none. */
        public static final String DEFAULT_DETECT_LANGUAGE =
                "Which language is spoken in the audio? Answer with its two-letter ISO 639-1 code"
                        + " only.";

        public DefaultPrompt {
            Objects.requireNonNull(system, "prompt.system");
            Objects.requireNonNull(user, "prompt.user");
            Objects.requireNonNull(userLanguage, "prompt.user_language");
            if (!userLanguage.contains(LANGUAGE)) {
                throw new IllegalArgumentException(
                        "prompt.user_language must contain " + LANGUAGE + ", got " + userLanguage);
            }
            userByLanguage = Map.copyOf(userByLanguage);
            for (String code : userByLanguage.keySet()) {
                if (!Languages.isCode(code)) {
                    throw new IllegalArgumentException(
                            "prompt.user_by_language keys must be ISO 639-1 codes, got " + code);
                }
            }
            Objects.requireNonNull(context, "prompt.context");
            if (!context.contains(CONTEXT)) {
                throw new IllegalArgumentException(
                        "prompt.context must contain " + CONTEXT + ", got " + context);
            }
            Objects.requireNonNull(detectLanguage, "prompt.detect_language");
        }

        /** A folder's system message and instruction, the rest as a folder lacking them. */
        public DefaultPrompt(String system, String user) {
            this(
                    system,
                    user,
                    QWEN_USER_LANGUAGE,
                    QWEN_USER_BY_LANGUAGE,
                    DEFAULT_CONTEXT,
                    DEFAULT_DETECT_LANGUAGE,
                    false);
        }

        /**
         * The instruction for {@code language} (an ISO 639-1 code, or null for none): {@link
         * #user()} without one, else the language's own ({@link #userByLanguage()}) or {@link
         * #userLanguage()} naming it in English.
         */
        public String instruction(String language) {
            if (language == null) {
                return user;
            }
            String code = Languages.code(language);
            String own = userByLanguage.get(code);
            return own != null ? own : userLanguage.replace(LANGUAGE, Languages.englishName(code));
        }

        /** {@code instruction} preceded by the context line for {@code text}, or as is if null. */
        public String withContext(String instruction, String text) {
            return text == null ? instruction : context.replace(CONTEXT, text) + "\n" + instruction;
        }
    }

    /** Whether the folder has graph {@code name}. */
    public boolean hasGraph(String name) {
        return graphs.containsKey(name);
    }

    /**
     * Where generation runs for {@code loop} in this folder: {@link DecodeLoop#AUTO} is {@link
     * DecodeLoop#GRAPH} when the folder lists {@link #GENERATE}, else {@link DecodeLoop#STEPS}.
     *
     * @return {@link DecodeLoop#GRAPH} or {@link DecodeLoop#STEPS}
     * @throws IllegalArgumentException if the folder lacks a graph that loop opens; the message
     *     names the graphs and what to do instead
     */
    public DecodeLoop decodeLoop(DecodeLoop loop) {
        DecodeLoop chosen =
                switch (loop) {
                    case AUTO -> hasGraph(GENERATE) ? DecodeLoop.GRAPH : DecodeLoop.STEPS;
                    case GRAPH, STEPS -> loop;
                };
        List<String> missing = graphsOf(chosen).stream().filter(g -> !hasGraph(g)).toList();
        if (missing.isEmpty()) {
            return chosen;
        }
        DecodeLoop other = chosen == DecodeLoop.GRAPH ? DecodeLoop.STEPS : DecodeLoop.GRAPH;
        throw new IllegalArgumentException(
                dir.resolve("model.json")
                        + " lists no graph "
                        + String.join(", ", missing.stream().map(g -> "'" + g + "'").toList())
                        + ": the generation loop "
                        + (chosen == DecodeLoop.GRAPH ? "in the graph" : "in Java")
                        + " (DecodeLoop."
                        + chosen
                        + ") opens "
                        + String.join(", ", graphsOf(chosen))
                        + ". "
                        + (graphsOf(other).stream().allMatch(this::hasGraph)
                                ? "Load the folder with DecodeLoop." + other + ", or export"
                                : "Export")
                        + " it again with models/export/export.py"
                        + (chosen == DecodeLoop.GRAPH
                                ? " without --no-loop"
                                : " without --no-step-decoder"));
    }

    /** The graphs the generation loop {@code loop} (GRAPH or STEPS) opens. */
    private static List<String> graphsOf(DecodeLoop loop) {
        return loop == DecodeLoop.GRAPH
                ? List.of(GENERATE)
                : List.of(AUDIO_ENCODER, EMBED_TOKENS, DECODER);
    }

    /**
     * Graph {@code name}; one of {@link #AUDIO_ENCODER}, {@link #EMBED_TOKENS}, {@link #DECODER},
     * {@link #GENERATE}.
     */
    public Graph graph(String name) {
        Graph g = graphs.get(name);
        if (g == null) {
            throw new IllegalArgumentException("model.json lists no graph '" + name + "'");
        }
        return g;
    }

    /**
     * Checks that {@code dir} is a model folder (holds {@code model.json}) without reading it, for
     * callers that want the message before an engine loads the folder.
     *
     * @throws IllegalArgumentException naming the folder and how to make one
     */
    public static void checkFolder(Path dir) {
        if (!Files.isRegularFile(dir.resolve("model.json"))) {
            throw new IllegalArgumentException(
                    "not a model folder (no model.json): "
                            + dir
                            + "; make one with models/export/export.py");
        }
    }

    /**
     * Reads {@code dir/model.json}.
     *
     * @throws IllegalArgumentException if the folder or file is missing or a field is absent or
     *     malformed; the message names the field
     */
    public static ModelSpec load(Path dir) {
        checkFolder(dir);
        Path file = dir.resolve("model.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Fields f = new Fields(file, root);
        int format = f.integer("format");
        if (format != 1) {
            throw new IllegalArgumentException(
                    file + ": format " + format + " is not supported (this engine reads format 1)");
        }
        Map<String, Graph> graphs = new LinkedHashMap<>();
        JsonNode graphsNode = f.node("graphs");
        for (var it = graphsNode.fields(); it.hasNext(); ) {
            var e = it.next();
            Fields g = new Fields(file, e.getValue(), "graphs." + e.getKey() + ".");
            graphs.put(
                    e.getKey(), new Graph(g.text("file"), g.dtypes("inputs"), g.dtypes("outputs")));
        }
        Fields d = f.child("decoder");
        Fields a = f.child("audio");
        Fields t = f.child("tokens");
        Fields p = f.child("prompt");
        int sr = a.integer("sampling_rate");
        int maxSamples =
                a.has("n_samples")
                        ? a.integer("n_samples")
                        : (int) Math.round(a.number("max_seconds") * sr);
        List<Integer> eos = new ArrayList<>();
        for (JsonNode n : t.node("eos")) {
            eos.add(n.asInt());
        }
        return new ModelSpec(
                dir,
                f.text("model_name"),
                f.text("dtype"),
                f.has("quantization") ? f.child("quantization").text("weights") : "float32",
                graphs,
                new DecoderSizes(
                        d.integer("num_layers"),
                        d.integer("num_attention_heads"),
                        d.integer("num_kv_heads"),
                        d.integer("head_dim"),
                        d.integer("hidden_size"),
                        d.integer("vocab_size"),
                        d.integer("max_position_embeddings")),
                new Audio(
                        sr,
                        a.integer("n_fft"),
                        a.integer("hop_length"),
                        a.integer("n_mels"),
                        a.integer("chunk_frames"),
                        a.integer("tokens_per_chunk"),
                        maxSamples),
                new Tokens(
                        t.integer("endoftext"),
                        t.integer("im_start"),
                        t.integer("im_end"),
                        t.integer("audio"),
                        t.integer("audio_bos"),
                        t.integer("audio_eos"),
                        t.integer("pad"),
                        eos.stream().mapToInt(Integer::intValue).toArray()),
                defaultPrompt(p));
    }

    /** {@code model.json: prompt}; absent optional fields take {@link DefaultPrompt}'s defaults. */
    private static DefaultPrompt defaultPrompt(Fields p) {
        Map<String, String> byLanguage = new LinkedHashMap<>();
        if (p.has("user_by_language")) {
            for (var it = p.node("user_by_language").fields(); it.hasNext(); ) {
                var e = it.next();
                byLanguage.put(e.getKey(), e.getValue().asText());
            }
        } else {
            byLanguage.putAll(DefaultPrompt.QWEN_USER_BY_LANGUAGE);
        }
        String place = p.has("instruction") ? p.text("instruction") : "after_audio";
        if (!place.equals("before_audio") && !place.equals("after_audio")) {
            throw new IllegalArgumentException(
                    p.file()
                            + ": field prompt.instruction must be before_audio or after_audio, got "
                            + place);
        }
        return new DefaultPrompt(
                p.text("system"),
                p.text("user"),
                p.has("user_language") ? p.text("user_language") : DefaultPrompt.QWEN_USER_LANGUAGE,
                byLanguage,
                p.has("context") ? p.text("context") : DefaultPrompt.DEFAULT_CONTEXT,
                p.has("detect_language")
                        ? p.text("detect_language")
                        : DefaultPrompt.DEFAULT_DETECT_LANGUAGE,
                place.equals("before_audio"));
    }

    /** Field access with messages that name the file and the missing field. */
    private record Fields(Path file, JsonNode node, String prefix) {
        Fields(Path file, JsonNode node) {
            this(file, node, "");
        }

        boolean has(String name) {
            return node.hasNonNull(name);
        }

        JsonNode node(String name) {
            JsonNode n = node.get(name);
            if (n == null || n.isNull()) {
                throw new IllegalArgumentException(file + ": missing field " + prefix + name);
            }
            return n;
        }

        Fields child(String name) {
            return new Fields(file, node(name), prefix + name + ".");
        }

        String text(String name) {
            JsonNode n = node(name);
            if (!n.isTextual()) {
                throw new IllegalArgumentException(
                        file + ": field " + prefix + name + " must be a string");
            }
            return n.asText();
        }

        int integer(String name) {
            JsonNode n = node(name);
            if (!n.canConvertToInt() || !(n.isIntegralNumber() || n.asDouble() == n.asInt())) {
                throw new IllegalArgumentException(
                        file + ": field " + prefix + name + " must be an integer, got " + n);
            }
            return n.asInt();
        }

        double number(String name) {
            JsonNode n = node(name);
            if (!n.isNumber()) {
                throw new IllegalArgumentException(
                        file + ": field " + prefix + name + " must be a number, got " + n);
            }
            return n.asDouble();
        }

        /** {@code {"tensor": {"dtype": "float32", ...}}} or a list of names → name → dtype. */
        Map<String, String> dtypes(String name) {
            JsonNode n = node(name);
            Map<String, String> out = new LinkedHashMap<>();
            if (n.isArray()) {
                for (JsonNode x : n) {
                    out.put(x.asText(), "");
                }
            } else {
                for (var it = n.fields(); it.hasNext(); ) {
                    var e = it.next();
                    JsonNode dt = e.getValue().get("dtype");
                    out.put(e.getKey(), dt == null ? "" : dt.asText());
                }
            }
            return out;
        }
    }
}
