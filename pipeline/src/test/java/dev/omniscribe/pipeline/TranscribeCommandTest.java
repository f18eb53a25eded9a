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
    void theSubmittingCommandPrintsProgressFromTheJobsAccumulatorsAndOperatorsPrintNothing()
            throws Exception {
        java.nio.file.Path in = Files.createDirectories(work.resolve("in"));
        AudioFixtures.write(in.resolve("a.wav"), Pattern.SPEECH, 7.2, 16_000, 1);
        AudioFixtures.write(in.resolve("b.wav"), Pattern.SPEECH, 3.6, 16_000, 1);
        ByteArrayOutputStream commandOut = new ByteArrayOutputStream();
        ByteArrayOutputStream processOut = new ByteArrayOutputStream();
        PrintStream systemOut = System.out;
        int exit;
        // Whatever the job's operators might print goes to System.out, not the command's out.
        System.setOut(new PrintStream(processOut, true, StandardCharsets.UTF_8));
        try {
            exit =
                    new picocli.CommandLine(
                                    new TranscribeCommand(
                                            new PrintStream(
                                                    commandOut, true, StandardCharsets.UTF_8),
                                            System.err))
                            .execute(
                                    "--input",
                                    in.toString(),
                                    "--output",
                                    work.resolve("out").toString(),
                                    "--model",
                                    TinyModel.dir().toString(),
                                    "--max-new-tokens",
                                    "1",
                                    "--formats",
                                    "txt");
        } finally {
            System.setOut(systemOut);
        }

        assertThat(exit).isZero();
        String printed = commandOut.toString(StandardCharsets.UTF_8);
        // 10.8 s of audio = 0.003 h, from the accumulators of the finished job.
        assertThat(printed)
                .containsPattern("\\[progress] 2/2 files, 0\\.00 h audio, \\d+x real time");
        assertThat(printed).contains("2 files transcribed, 0 failed");
        assertThat(processOut.toString(StandardCharsets.UTF_8)).doesNotContain("[progress]");
    }

    @Test
    void aRerunSkipsOnlyWhatThisModelMadeWithTheseOptionsAndSaysWhyItRedoesTheRest()
            throws Exception {
        java.nio.file.Path in = Files.createDirectories(work.resolve("in"));
        AudioFixtures.write(in.resolve("a.wav"), Pattern.SPEECH, 3, 16_000, 1);
        AudioFixtures.write(in.resolve("b.wav"), Pattern.SPEECH, 2, 16_000, 1);
        java.nio.file.Path out = work.resolve("out");
        // The same model in another folder, its model.json changed in a way that keeps its meaning.
        java.nio.file.Path otherModel = Files.createDirectories(work.resolve("other-model"));
        try (var files = Files.list(TinyModel.dir())) {
            for (java.nio.file.Path f : files.toList()) {
                Files.copy(f, otherModel.resolve(f.getFileName()));
            }
        }
        Files.writeString(
                otherModel.resolve("model.json"), "\n", java.nio.file.StandardOpenOption.APPEND);

        String first = runPrinting(in, out, TinyModel.dir(), "1");
        assertThat(first).contains("2 files").contains("2 files transcribed");
        com.fasterxml.jackson.databind.JsonNode json =
                new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(out.resolve("a.wav.json").toFile());
        assertThat(json.path("model_sha256").asText())
                .isEqualTo(
                        dev.omniscribe.udfs.format.Provenance.modelSha256(
                                TinyModel.dir().toString()))
                .hasSize(64);
        assertThat(json.path("options").path("max_new_tokens").asInt()).isEqualTo(1);

        assertThat(runPrinting(in, out, TinyModel.dir(), "1"))
                .contains(
                        "0 files (0.0 MB) to transcribe from "
                                + in
                                + ", 2 skipped: already done by this model with these options"
                                + " (--overwrite redoes them)");

        assertThat(runPrinting(in, out, TinyModel.dir(), "2"))
                .contains("2 files")
                .contains(", 2 redone: made with other options (2)")
                .contains("2 files transcribed");
        assertThat(
                        new com.fasterxml.jackson.databind.ObjectMapper()
                                .readTree(out.resolve("b.wav.json").toFile())
                                .path("options")
                                .path("max_new_tokens")
                                .asInt())
                .isEqualTo(2);

        assertThat(runPrinting(in, out, otherModel, "2"))
                .contains(", 2 redone: made by another model (2)")
                .contains("2 files transcribed");
        assertThat(runPrinting(in, out, otherModel, "2")).contains("2 skipped");
    }

    private static String runPrinting(
            java.nio.file.Path in,
            java.nio.file.Path out,
            java.nio.file.Path model,
            String tokens) {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit =
                new picocli.CommandLine(
                                new TranscribeCommand(
                                        new PrintStream(printed, true, StandardCharsets.UTF_8),
                                        System.err))
                        .execute(
                                "--input",
                                in.toString(),
                                "--output",
                                out.toString(),
                                "--model",
                                model.toString(),
                                "--max-new-tokens",
                                tokens,
                                "--formats",
                                "txt,json",
                                "--decode-parallelism",
                                "1");
        assertThat(exit).isZero();
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void outputNameTemplateNamesOutputsAsMediaServersExpect() throws Exception {
        java.nio.file.Path in = Files.createDirectories(work.resolve("in/shows"));
        AudioFixtures.write(in.resolve("talk.mp3"), Pattern.SPEECH, 2, 16_000, 1);
        java.nio.file.Path out = work.resolve("out");

        assertThat(
                        run(
                                "--input",
                                work.resolve("in").toString(),
                                "--output",
                                out.toString(),
                                "--model",
                                TinyModel.dir().toString(),
                                "--max-new-tokens",
                                "1",
                                "--formats",
                                "srt,json",
                                "--output-name",
                                "{stem}.{lang}"))
                .isZero();

        assertThat(out.resolve("shows/talk.und.srt")).exists();
        assertThat(out.resolve("shows/talk.und.json")).exists();
        assertThat(out.resolve("shows/talk.mp3.srt")).doesNotExist();
    }

    @Test
    void twoInputsThatWouldShareOutputsAreRefusedBeforeTheJobStartsNamingBoth() throws Exception {
        java.nio.file.Path in = Files.createDirectories(work.resolve("in"));
        AudioFixtures.write(in.resolve("talk.mp3"), Pattern.SPEECH, 2, 16_000, 1);
        AudioFixtures.write(in.resolve("talk.wav"), Pattern.SPEECH, 2, 16_000, 1);
        java.nio.file.Path out = work.resolve("out");

        assertThat(
                        run(
                                "--input", in.toString(),
                                "--output", out.toString(),
                                "--model", TinyModel.dir().toString(),
                                "--output-name", "{stem}"))
                .isEqualTo(2);
        assertThat(out).doesNotExist();

        String inUri = TranscribeCommand.toUri(in.toString());
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () ->
                                TranscribeCommand.scan(
                                        inUri,
                                        null,
                                        new dev.omniscribe.udfs.format.OutputLayout(
                                                TranscribeCommand.toUri(out.toString()),
                                                java.util.List.of(
                                                        dev.omniscribe.udfs.format.OutputFormat
                                                                .TXT),
                                                null,
                                                new dev.omniscribe.udfs.format.OutputNames(
                                                        "{stem}", null)),
                                        false,
                                        null,
                                        dev.omniscribe.udfs.fs.Storage.DEFAULT,
                                        false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("talk.mp3")
                .hasMessageContaining("talk.wav")
                .hasMessageContaining("same outputs (talk.*)");
        // The default keeps both apart.
        assertThat(
                        run(
                                "--input", in.toString(),
                                "--output", out.toString(),
                                "--model", TinyModel.dir().toString(),
                                "--max-new-tokens", "1",
                                "--formats", "txt"))
                .isZero();
        assertThat(out.resolve("talk.mp3.txt")).exists();
        assertThat(out.resolve("talk.wav.txt")).exists();
    }

    @Test
    void progressLineShowsFilesAudioSpeedAndAnEtaByBytes() {
        JobProgress.Figures f = new JobProgress.Figures(3, 1, 900_000, 400);
        assertThat(JobProgress.line(f, 10, 1000, 60))
                .isEqualTo(
                        "[progress] 4/10 files (1 failed), 0.25 h audio, 15x real time, ETA"
                                + " 0:01:30");
        assertThat(JobProgress.line(new JobProgress.Figures(2, 0, 7_200_000, 1000), 2, 1000, 36))
                .isEqualTo("[progress] 2/2 files, 2.00 h audio, 200x real time");
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
