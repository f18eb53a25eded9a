package dev.omniscribe.models.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.models.Transcription;
import dev.omniscribe.models.audio.WavReader;
import dev.omniscribe.models.text.Prompt;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/engine}: transcribes WAV files (16 kHz mono PCM16) with a model folder and prints one
 * JSON object per file: {@code file, text, token_ids, finish_reason, prompt, prompt_ids} (plus
 * {@code error} when it failed). Exit status 0 when every file was transcribed, 1 when any failed.
 */
@Command(
        name = "engine",
        mixinStandardHelpOptions = true,
        description = "Transcribe 16 kHz mono PCM16 WAV files with an exported Qwen2.5-Omni model.")
public final class EngineCli implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "model folder (holds model.json)")
    Path model;

    @Option(
            names = "--temperature",
            defaultValue = "0.1",
            description = "0 for greedy decoding (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(
            names = "--max-new-tokens",
            defaultValue = "8192",
            description = "token limit per file (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(
            names = "--repetition-penalty",
            defaultValue = "1.1",
            description = "1 disables it (default: ${DEFAULT-VALUE})")
    double repetitionPenalty;

    @Option(
            names = "--batch-size",
            defaultValue = "1",
            description = "files per batched generation (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: 0)")
    long seed;

    @Option(names = "--gpu", defaultValue = "-1", description = "CUDA device id; -1 for CPU")
    int gpu;

    @Option(
            names = "--threads",
            defaultValue = "0",
            description = "ONNX Runtime intra-op threads; 0 lets it choose")
    int threads;

    @Option(names = "--system", description = "system prompt (default: the model folder's)")
    String system;

    @Option(
            names = "--user",
            description =
                    "the whole instruction; {audio} in it marks where the audio stands (default:"
                            + " the model folder's)")
    String user;

    @Option(
            names = "--language",
            description = "ISO 639-1 code of the spoken language, named in the instruction")
    String language;

    @Option(names = "--context", description = "context for the transcription (earlier text)")
    String context;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "WAV files")
    List<Path> files;

    public static void main(String[] args) {
        System.exit(new CommandLine(new EngineCli()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--batch-size must be at least 1");
        }
        GenerationOptions options =
                new GenerationOptions(
                        maxNewTokens,
                        temperature,
                        repetitionPenalty,
                        seed,
                        system,
                        user,
                        language,
                        context);
        ObjectMapper json = new ObjectMapper();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        boolean anyFailed = false;
        try (OnnxSpeechEngine engine =
                OnnxSpeechEngine.load(new EngineConfig(model, gpu, threads))) {
            int rate = engine.spec().audio().samplingRate();
            for (int from = 0; from < files.size(); from += batchSize) {
                List<Path> batch = files.subList(from, Math.min(files.size(), from + batchSize));
                List<Path> readable = new ArrayList<>();
                List<GenerationRequest> requests = new ArrayList<>();
                for (Path f : batch) {
                    try {
                        requests.add(new GenerationRequest(WavReader.read(f, rate), options));
                        readable.add(f);
                    } catch (IOException e) {
                        anyFailed = true;
                        System.err.println("error: " + e.getMessage());
                        ObjectNode o = json.createObjectNode();
                        o.put("file", f.toString());
                        o.put("finish_reason", "ERROR");
                        o.put("error", e.getMessage());
                        out.println(json.writeValueAsString(o));
                    }
                }
                List<Transcription> results = engine.transcribe(requests);
                for (int i = 0; i < results.size(); i++) {
                    Transcription t = results.get(i);
                    Prompt p = engine.prompt(requests.get(i));
                    ObjectNode o = json.createObjectNode();
                    o.put("file", readable.get(i).toString());
                    o.put("text", t.text());
                    var ids = o.putArray("token_ids");
                    for (int id : t.tokenIds()) {
                        ids.add(id);
                    }
                    o.put("finish_reason", t.finishReason().name());
                    o.put("prompt", p.text());
                    var pids = o.putArray("prompt_ids");
                    for (int id : p.ids()) {
                        pids.add(id);
                    }
                    if (t.failed()) {
                        anyFailed = true;
                        o.put("error", t.error());
                    }
                    out.println(json.writeValueAsString(o));
                }
            }
        }
        return anyFailed ? 1 : 0;
    }
}
