package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.models.audio.WavReader;
import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.TinyModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line, run in this JVM on the embedded mini cluster. */
class TranscribeCommandTest {

    @TempDir java.nio.file.Path work;

    private int run(String... args) {
        return TranscribeCommand.run(args);
    }

    @Test
    void exitsWithOneWhenAFileFailedAndZeroWhenNoneDid() throws Exception {
        java.nio.file.Path in = Files.createDirectories(work.resolve("in"));
        AudioFixtures.write(in.resolve("a.flac"), Pattern.SPEECH, 6, 22_050, 2, "-c:a", "flac");
        Files.createFile(in.resolve("broken.wav"));
        java.nio.file.Path out = work.resolve("out");
        String[] common = {
            "--input",
            in.toString(),
            "--output",
            out.toString(),
            "--model",
            TinyModel.dir().toString(),
            "--max-new-tokens",
            "2",
            "--formats",
            "txt,json",
            "--decode-parallelism",
            "1"
        };

        assertThat(run(common)).isEqualTo(1);
        assertThat(out.resolve("a.flac.txt")).exists();
        assertThat(out.resolve("a.flac.json")).exists();
        assertThat(out.resolve("a.flac.srt")).doesNotExist();
        assertThat(Files.readString(out.resolve("_failures.jsonl")))
                .contains("\"file\":\"broken.wav\"")
                .contains("\"stage\":\"decode\"");

        Files.delete(in.resolve("broken.wav"));
        assertThat(run(common)).isZero();
        // This run's failures replace the last run's.
        assertThat(out.resolve("_failures.jsonl")).doesNotExist();
    }

    @Test
    void theLanguageGoesIntoTheModelsInstructionAndTheJsonReportsIt() throws Exception {
        java.nio.file.Path in = Files.createDirectories(work.resolve("in"));
        java.nio.file.Path wav = AudioFixtures.speechWav(in.resolve("talk.wav"), 4);
        java.nio.file.Path out = work.resolve("out");
        int code =
                run(
                        "--input",
                        in.toString(),
                        "--output",
                        out.toString(),
                        "--model",
                        TinyModel.dir().toString(),
                        "--language",
                        "DE",
                        // The whole file is one segment, as the engine gets it below.
                        "--vad",
                        "off",
                        "--temperature",
                        "0",
                        "--max-new-tokens",
                        "6",
                        "--no-repetition-check",
                        "--formats",
                        "json",
                        "--decode-parallelism",
                        "1");
        assertThat(code).isZero();

        JsonNode json = new ObjectMapper().readTree(out.resolve("talk.wav.json").toFile());
        assertThat(json.path("language").asText()).isEqualTo("de");
        assertThat(json.path("options").path("language").asText()).isEqualTo("de");
        String text = json.path("segments").get(0).path("text").asText();
        // The same audio through the engine directly: the German instruction gives the job's
        // text, the instruction without a language another one.
        float[] samples = WavReader.read(wav, 16_000);
        GenerationOptions greedy =
                GenerationOptions.DEFAULTS.withTemperature(0).withMaxNewTokens(6);
        try (OnnxSpeechEngine engine =
                OnnxSpeechEngine.load(new EngineConfig(TinyModel.dir(), -1, 1))) {
            GenerationRequest german = new GenerationRequest(samples, greedy.withLanguage("de"));
            assertThat(engine.prompt(german).text())
                    .contains("Transcribe the German audio into text.");
            assertThat(text)
                    .isEqualTo(engine.transcribe(german).text().strip())
                    .isNotEqualTo(
                            engine.transcribe(new GenerationRequest(samples, greedy))
                                    .text()
                                    .strip());
        }
    }

    @Test
    void refusesALanguageThatIsNoIsoCodeWithExitCodeTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code =
                    run(
                            "--input", work.toString(),
                            "--output", work.resolve("out").toString(),
                            "--model", TinyModel.dir().toString(),
                            "--language", "german");
        } finally {
            System.setErr(saved);
        }

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("ISO 639-1").contains("german");
    }

    @Test
    void refusesSegmentsLongerThanTheModelReadsWithExitCodeTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code =
                    run(
                            "--input", work.toString(),
                            "--output", work.resolve("out").toString(),
                            "--model", TinyModel.dir().toString(),
                            "--segment-duration", "600");
        } finally {
            System.setErr(saved);
        }

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("at most 300 s");
    }

    @Test
    void refusesAFolderThatIsNotAModel() {
        assertThat(
                        run(
                                "--input", work.toString(),
                                "--output", work.resolve("out").toString(),
                                "--checkpoint-path", work.toString()))
                .isEqualTo(2);
    }

    @Test
    void ignoresHiddenPartialAndTemporaryFilesAndTheOutputFolderInsideTheInput() {
        AudioFileFilter filter = new AudioFileFilter("file:/data/in", "file:/data/in/out");

        assertThat(filter.test(new Path("file:/data/in"))).isTrue();
        assertThat(filter.test(new Path("file:/data/in/a/talk.mp3"))).isTrue();
        assertThat(filter.test(new Path("file:/data/in/.talk.mp3"))).isFalse();
        assertThat(filter.test(new Path("file:/data/in/_talk.mp3"))).isFalse();
        assertThat(filter.test(new Path("file:/data/in/talk.mp3.tmp"))).isFalse();
        assertThat(filter.test(new Path("file:/data/in/.git"))).isFalse();
        assertThat(filter.test(new Path(java.net.URI.create("file:/data/in/_scratch/")))).isFalse();
        assertThat(filter.test(new Path("file:/data/in/out"))).isFalse();
        assertThat(filter.test(new Path("file:/data/in/out/talk.mp3.txt"))).isFalse();
        assertThat(new AudioFileFilter("file:/data/_in", null).test(new Path("file:/data/_in")))
                .isTrue();
    }

    @Test
    void relativePathsKeepTheFoldersBelowTheInputRoot() {
        assertThat(
                        AudioFileFormat.relativePath(
                                "file:/data/in/", new Path("file:/data/in/a/b/talk.mp3")))
                .isEqualTo("a/b/talk.mp3");
        assertThat(
                        AudioFileFormat.relativePath(
                                "s3a://bucket/prefix", new Path("s3a://bucket/prefix/x y.wav")))
                .isEqualTo("x y.wav");
    }
}
