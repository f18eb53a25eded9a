package dev.omniscribe.models;

import ai.onnxruntime.OrtException;
import dev.omniscribe.models.audio.AudioTokens;
import dev.omniscribe.models.audio.LogMelSpectrogram;
import dev.omniscribe.models.audio.MelFeatures;
import dev.omniscribe.models.generate.GeneratedTokens;
import dev.omniscribe.models.generate.GenerationRow;
import dev.omniscribe.models.generate.GraphLoopGenerator;
import dev.omniscribe.models.generate.StepLoopGenerator;
import dev.omniscribe.models.generate.TokenGenerator;
import dev.omniscribe.models.onnx.AudioEncoder;
import dev.omniscribe.models.onnx.Decoder;
import dev.omniscribe.models.onnx.GenerationLoop;
import dev.omniscribe.models.onnx.GpuMemory;
import dev.omniscribe.models.onnx.OrtRuntime;
import dev.omniscribe.models.onnx.TokenEmbedder;
import dev.omniscribe.models.text.Prompt;
import dev.omniscribe.models.text.QwenTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Qwen2.5-Omni's thinker on ONNX Runtime: log-mel features → audio encoder → prompt with the audio
 * embeddings spliced in → batched prefill and KV-cache decode → text. The steps from the audio
 * encoder to the last token run in {@code generate.onnx} ({@link GraphLoopGenerator}) or over
 * {@code audio_encoder.onnx}, {@code embed_tokens.onnx} and {@code decoder.onnx} ({@link
 * StepLoopGenerator}); see {@link DecodeLoop}.
 *
 * <p><b>Thread safety:</b> thread-safe. ONNX Runtime sessions allow concurrent {@code run} calls,
 * the tokenizer and mel front end are read-only, and all per-call state (features, embeddings, KV
 * cache, samplers) lives on the calling thread's stack. Concurrent calls share the CPU or GPU, so
 * throughput is usually better with one caller and larger batches. {@link #close()} must not race
 * with {@link #transcribe(List)}.
 */
public final class OnnxSpeechEngine implements SpeechEngine {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxSpeechEngine.class);

    private final ModelSpec spec;
    private final OrtRuntime runtime;
    private final LogMelSpectrogram mel;
    private final QwenTokenizer tokenizer;
    // the generation loop's sessions: GenerationLoop (graph), or Decoder, TokenEmbedder and
    // AudioEncoder (steps)
    private final List<AutoCloseable> generation;
    private final TokenGenerator generator;
    private final int gpuDeviceId;
    private final BatchLimit batchLimit;

    private OnnxSpeechEngine(
            ModelSpec spec,
            OrtRuntime runtime,
            QwenTokenizer tokenizer,
            List<AutoCloseable> generation,
            TokenGenerator generator,
            int gpuDeviceId,
            BatchLimit batchLimit) {
        this.spec = spec;
        this.runtime = runtime;
        ModelSpec.Audio a = spec.audio();
        this.mel =
                new LogMelSpectrogram(
                        a.samplingRate(), a.nFft(), a.hopLength(), a.nMels(), a.maxSamples());
        this.tokenizer = tokenizer;
        this.generation = generation;
        this.generator = generator;
        this.gpuDeviceId = gpuDeviceId;
        this.batchLimit = batchLimit;
    }

    /**
     * Loads a model folder: reads {@code model.json} and {@code tokenizer.json} and opens the ONNX
     * sessions of the generation loop ({@code generate.onnx} when the folder has it, else {@code
     * audio_encoder}, {@code embed_tokens} and {@code decoder}) on the configured GPU (CUDA
     * provider) or on the CPU when no GPU is configured or usable.
     *
     * @throws IllegalArgumentException if the folder is not a complete model folder
     * @throws IllegalStateException if ONNX Runtime cannot open a graph
     */
    public static OnnxSpeechEngine load(EngineConfig config) {
        return load(config, DecodeLoop.AUTO, config.stopAtEos());
    }

    /**
     * Loads a model folder with the generation loop where {@code loop} says ({@link
     * DecodeLoop#AUTO}: in the graph when the folder has {@code generate.onnx}). On a GPU, runs one
     * short warm-up transcription before returning (CUDA, cuBLAS and cuDNN start-up).
     *
     * @param stopAtEos false only for benchmarks: every segment runs to its token budget
     * @throws IllegalArgumentException if the folder lacks the graphs {@code loop} needs
     */
    public static OnnxSpeechEngine load(EngineConfig config, DecodeLoop loop, boolean stopAtEos) {
        return load(config, loop, stopAtEos, BatchLimit.INT32_INDEXING);
    }

    /**
     * As {@link #load(EngineConfig, DecodeLoop, boolean)}, with batches larger than {@code
     * batchLimit} allows run as several generations.
     */
    public static OnnxSpeechEngine load(
            EngineConfig config, DecodeLoop loop, boolean stopAtEos, BatchLimit batchLimit) {
        ModelSpec spec = ModelSpec.load(config.modelDir());
        boolean inGraph = spec.decodeLoop(loop) == DecodeLoop.GRAPH;
        OrtRuntime runtime = new OrtRuntime(config.gpuDeviceId(), config.intraOpThreads());
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            QwenTokenizer tokenizer = QwenTokenizer.load(spec);
            opened.add(tokenizer);
            List<AutoCloseable> generation = new ArrayList<>();
            TokenGenerator generator;
            if (inGraph) { // generate.onnx runs the audio encoder and embeds the prompt itself
                GenerationLoop inGraphLoop = new GenerationLoop(runtime, spec);
                opened.add(inGraphLoop);
                generation.add(inGraphLoop);
                generator = new GraphLoopGenerator(runtime, inGraphLoop, spec, stopAtEos);
            } else {
                AudioEncoder encoder = new AudioEncoder(runtime, spec);
                opened.add(encoder);
                TokenEmbedder embedder = new TokenEmbedder(runtime, spec);
                opened.add(embedder);
                Decoder steps = new Decoder(runtime, spec);
                opened.add(steps);
                generation.add(steps);
                generation.add(embedder);
                generation.add(encoder);
                generator =
                        new StepLoopGenerator(runtime, encoder, embedder, steps, spec, stopAtEos);
            }
            OnnxSpeechEngine engine =
                    new OnnxSpeechEngine(
                            spec,
                            runtime,
                            tokenizer,
                            generation,
                            generator,
                            runtime.onGpu() ? config.gpuDeviceId() : -1,
                            batchLimit);
            LOG.info(
                    "loaded {} ({} weights, {} activations, generation loop {}) from {} on {}",
                    spec.modelName(),
                    spec.weights(),
                    spec.dtype(),
                    inGraph ? "in the graph" : "in Java",
                    spec.dir(),
                    runtime.device());
            if (runtime.onGpu()) {
                engine.warmUp();
            }
            return engine;
        } catch (OrtException e) {
            closeAll(opened);
            throw new IllegalStateException(
                    "ONNX Runtime cannot open the model in " + spec.dir() + ": " + e.getMessage(),
                    e);
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /**
     * One short transcription (1 s of silence, 2 tokens) so that the first real request does not
     * pay for CUDA, cuBLAS and cuDNN start-up.
     */
    private void warmUp() {
        long t0 = System.nanoTime();
        Transcription t =
                transcribe(
                        new GenerationRequest(
                                new float[spec.audio().samplingRate()],
                                GenerationOptions.greedy(2)));
        if (t.error() != null) {
            throw new IllegalStateException("warm-up transcription failed: " + t.error());
        }
        LOG.info("warm-up took {} ms", (System.nanoTime() - t0) / 1_000_000);
    }

    /** Whether generation runs inside the graph ({@code generate.onnx}). */
    public boolean generatesInGraph() {
        return generator instanceof GraphLoopGenerator;
    }

    /**
     * Memory of the engine's GPU as the driver reports it; empty on CPU or when {@code nvidia-smi}
     * is unavailable. Runs a short external command: call it for health checks, not per request.
     */
    @Override
    public Optional<GpuMemory> gpuMemory() {
        return gpuDeviceId < 0 ? Optional.empty() : GpuMemory.query(gpuDeviceId);
    }

    /** The model folder's description. */
    public ModelSpec spec() {
        return spec;
    }

    /** Where the sessions run, e.g. {@code CPU} or {@code CUDA device 0}. */
    public String device() {
        return runtime.device();
    }

    @Override
    public String modelName() {
        return spec.modelName();
    }

    /**
     * The prompt a request is generated from: its rendered chat text (one {@code <|AUDIO|>}
     * placeholder) and token ids with the placeholder expanded to the audio token count. Reads only
     * the sample count.
     *
     * <p>The user turn holds the instruction (the request's own, else the folder's for the
     * request's language), preceded by the folder's context line when the request gives context,
     * before or after the audio as the folder says; an instruction of the request's own that holds
     * {@link GenerationOptions#AUDIO_MARKER} puts the audio there instead.
     */
    public Prompt prompt(GenerationRequest request) {
        int frames = mel.frames(request.samples().length);
        GenerationOptions o = request.options();
        ModelSpec.DefaultPrompt folder = spec.defaultPrompt();
        String instruction =
                folder.withContext(
                        o.userPrompt() != null ? o.userPrompt() : folder.instruction(o.language()),
                        o.context());
        String before;
        String after;
        int marker = instruction.indexOf(GenerationOptions.AUDIO_MARKER);
        if (o.userPrompt() != null && marker >= 0) {
            before = instruction.substring(0, marker);
            after = instruction.substring(marker + GenerationOptions.AUDIO_MARKER.length());
        } else if (folder.instructionFirst()) {
            before = instruction;
            after = "";
        } else {
            before = "";
            after = instruction;
        }
        return tokenizer.prompt(
                o.systemPrompt() != null ? o.systemPrompt() : folder.system(),
                before,
                after,
                AudioTokens.forFrames(frames));
    }

    @Override
    public String decode(int[] tokenIds) {
        return tokenizer.decode(tokenIds);
    }

    @Override
    public String languageQuestion() {
        return spec.defaultPrompt().detectLanguage();
    }

    /**
     * Transcribes the requests as one batch (one audio-encoder pass over all chunks, one batched
     * generation). A request that cannot be run (empty audio, longer than {@code model.json
     * audio.max_seconds}, prompt too long for the context) gets an {@link FinishReason#ERROR}
     * result and the others go on. If ONNX Runtime fails, every request of the batch gets an ERROR
     * result carrying the message.
     */
    @Override
    public List<Transcription> transcribe(List<GenerationRequest> requests) {
        Transcription[] results = new Transcription[requests.size()];
        List<Integer> index = new ArrayList<>();
        List<Prompt> prompts = new ArrayList<>();

        // 1. Per request: checks and prompt.
        for (int i = 0; i < requests.size(); i++) {
            GenerationRequest r = requests.get(i);
            String problem = check(r);
            if (problem != null) {
                results[i] = Transcription.failed(problem);
                continue;
            }
            Prompt prompt = prompt(r);
            if (generator.contextBudget(prompt.length()) < 1) {
                results[i] =
                        Transcription.failed(
                                "prompt of "
                                        + prompt.length()
                                        + " tokens does not fit the model's context of "
                                        + spec.decoder().maxPositionEmbeddings());
                continue;
            }
            index.add(i);
            prompts.add(prompt);
        }
        if (index.isEmpty()) {
            return Arrays.asList(results);
        }
        // 2. Log-mel features (n_mels, frames) per segment, segments in parallel (one core does
        // ~1400 s of audio per s: 0.7 s for a batch of 32 half-minute segments on one thread).
        List<MelFeatures> features =
                index.parallelStream().map(i -> mel.compute(requests.get(i).samples())).toList();

        try {
            // 3. Batched generation (audio encoder included).
            List<GenerationRow> rows = new ArrayList<>();
            for (int k = 0; k < index.size(); k++) {
                rows.add(
                        new GenerationRow(
                                prompts.get(k),
                                features.get(k),
                                requests.get(index.get(k)).options()));
            }
            List<GeneratedTokens> outputs = new ArrayList<>(rows.size());
            List<Integer> groups =
                    batchLimit.groupSizes(
                            spec.decoder().numAttentionHeads(),
                            prompts.stream().mapToInt(Prompt::length).toArray());
            if (groups.size() > 1) {
                LOG.info(
                        "batch of {} rows runs as {} generations of {} rows ({})",
                        rows.size(),
                        groups.size(),
                        groups,
                        batchLimit);
            }
            int from = 0;
            for (int size : groups) {
                outputs.addAll(generator.generate(rows.subList(from, from + size)));
                from += size;
            }
            // 4. Text.
            for (int k = 0; k < index.size(); k++) {
                GeneratedTokens o = outputs.get(k);
                results[index.get(k)] =
                        new Transcription(
                                tokenizer.decode(o.ids()),
                                o.ids(),
                                o.reason(),
                                prompts.get(k).length(),
                                null);
            }
        } catch (OrtException | RuntimeException e) {
            LOG.error("batch of {} segments failed", index.size(), e);
            String message = "inference failed: " + e;
            for (int i : index) {
                results[i] = Transcription.failed(message);
            }
        }
        return Arrays.asList(results);
    }

    /** Why a request cannot run, or null. */
    private String check(GenerationRequest r) {
        int n = r.samples().length;
        if (n == 0) {
            return "no audio samples";
        }
        if (n > mel.maxSamples()) {
            return String.format(
                    Locale.ROOT,
                    "audio is %.3f s (%d samples), longer than the model's maximum of %.0f s (%d"
                            + " samples); cut it into shorter segments",
                    (double) n / spec.audio().samplingRate(),
                    n,
                    spec.audio().maxSeconds(),
                    mel.maxSamples());
        }
        return null;
    }

    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>(generation);
        all.add(tokenizer);
        closeAll(all);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable c : resources) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed", c.getClass().getSimpleName(), e);
            }
        }
    }
}
