package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.models.EngineConfig;
import dev.omniscribe.models.GenerationOptions;
import dev.omniscribe.models.GenerationRequest;
import dev.omniscribe.models.OnnxSpeechEngine;
import dev.omniscribe.udfs.AudioFile;
import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.DecodeAudioFunction;
import dev.omniscribe.udfs.PostProcessFunction;
import dev.omniscribe.udfs.SegmentRecord;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import dev.omniscribe.udfs.text.ChineseConversion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Folder in, files out, on Flink's mini cluster with the real engine on the tiny model. */
class TranscribeJobMiniClusterTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = PipelineTests.oneTaskManagerTwoSlots();

    static final SegmentationSettings SEGMENTS =
            new SegmentationSettings(10_000, false, SegmentationSettings.Channels.MIXED);
    static final GenerationOptions GREEDY = TinyModel.greedy(4);

    @TempDir static Path input;

    @BeforeAll
    static void audio() throws Exception {
        Files.createDirectories(input.resolve("talks"));
        Files.createDirectories(input.resolve("music"));
        Files.createDirectories(input.resolve("bad"));
        Files.createDirectories(input.resolve("_scratch"));
        AudioFixtures.write(input.resolve("talks/speech.wav"), Pattern.SPEECH, 41, 16_000, 1);
        AudioFixtures.write(
                input.resolve("talks/stereo.mp3"),
                Pattern.SPEECH,
                12,
                44_100,
                2,
                "-c:a",
                "libmp3lame");
        AudioFixtures.write(
                input.resolve("music/tones.ogg"), Pattern.TONES, 9, 48_000, 2, "-c:a", "libopus");
        Files.createFile(input.resolve("bad/empty.mp3"));
        AudioFixtures.textNamed(input.resolve("bad/notes.mp3"));
        Path m4a =
                AudioFixtures.write(
                        input.resolve("_scratch/whole.m4a"),
                        Pattern.SPEECH,
                        8,
                        16_000,
                        1,
                        "-c:a",
                        "aac");
        AudioFixtures.truncated(m4a, input.resolve("bad/cut.m4a"), 0.5);
        // Names with spaces, URI-special characters and Chinese survive the trip.
        Files.copy(input.resolve("music/tones.ogg"), input.resolve("music/take #1 (50%).ogg"));
        Files.copy(input.resolve("music/tones.ogg"), input.resolve("music/会议 录音:2.ogg"));
        // Hidden, partial and temporary files are never read.
        Files.copy(input.resolve("talks/speech.wav"), input.resolve("talks/.hidden.wav"));
        Files.copy(input.resolve("talks/speech.wav"), input.resolve("talks/_partial.wav"));
        Files.copy(input.resolve("talks/speech.wav"), input.resolve("talks/upload.wav.tmp"));
    }

    static void runJob(Path in, Path out, boolean overwrite) throws Exception {
        OutputLayout layout =
                new OutputLayout(out.toUri().toString(), List.of(OutputFormat.values()));
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.configure(conf);
        JobSettings settings =
                PipelineTests.tinyJob(SEGMENTS, 3, 4, overwrite ? null : layout, null);
        TranscribeJob.build(
                env,
                AudioSources.folder(in.toUri().toString(), null, null),
                new TranscriptSink(layout, TinyModel.dir().toString()),
                new FailureSink(layout),
                settings);
        env.execute("test");
    }

    /** What the engine says about each segment of a file when run directly, post-processed. */
    static List<String> directTexts(Path file) throws Exception {
        List<SegmentRecord> segments;
        try (var h =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new DecodeAudioFunction(
                                TinyModel.options(SEGMENTS.targetMs(), GREEDY), null))) {
            h.processElement(new AudioFile(file.toUri().toString(), "x", Files.size(file)), 0);
            segments = h.extractOutputValues();
        }
        List<String> texts = new ArrayList<>();
        try (OnnxSpeechEngine engine =
                OnnxSpeechEngine.load(new EngineConfig(TinyModel.dir(), -1, 1))) {
            for (SegmentRecord s : segments) {
                texts.add(
                        PostProcessFunction.process(
                                engine.transcribe(new GenerationRequest(s.samples(), GREEDY))
                                        .text(),
                                ChineseConversion.NONE));
            }
        }
        return texts;
    }

    @Test
    void transcribesAFolderIntoOrderedTxtSrtVttJsonAndListsFailures(@TempDir Path out)
            throws Exception {
        runJob(input, out, false);

        assertThat(PipelineTests.filesUnder(out))
                .containsExactly(
                        "_failures.jsonl",
                        "music/take #1 (50%).ogg.json",
                        "music/take #1 (50%).ogg.srt",
                        "music/take #1 (50%).ogg.txt",
                        "music/take #1 (50%).ogg.vtt",
                        "music/tones.ogg.json",
                        "music/tones.ogg.srt",
                        "music/tones.ogg.txt",
                        "music/tones.ogg.vtt",
                        "music/会议 录音:2.ogg.json",
                        "music/会议 录音:2.ogg.srt",
                        "music/会议 录音:2.ogg.txt",
                        "music/会议 录音:2.ogg.vtt",
                        "talks/speech.wav.json",
                        "talks/speech.wav.srt",
                        "talks/speech.wav.txt",
                        "talks/speech.wav.vtt",
                        "talks/stereo.mp3.json",
                        "talks/stereo.mp3.srt",
                        "talks/stereo.mp3.txt",
                        "talks/stereo.mp3.vtt");

        List<String> failures =
                Files.readAllLines(out.resolve("_failures.jsonl"), StandardCharsets.UTF_8);
        ObjectMapper mapper = new ObjectMapper();
        assertThat(failures).hasSize(3);
        assertThat(failures.stream().map(l -> read(mapper, l).get("file").asText()))
                .containsExactly("bad/cut.m4a", "bad/empty.mp3", "bad/notes.mp3");
        for (String line : failures) {
            JsonNode f = read(mapper, line);
            assertThat(f.get("stage").asText()).isEqualTo("decode");
            assertThat(f.get("error").asText()).startsWith("ffmpeg could not decode");
        }

        assertThat(
                        mapper.readTree(out.resolve("music/会议 录音:2.ogg.json").toFile())
                                .get("file")
                                .asText())
                .isEqualTo("music/会议 录音:2.ogg");

        JsonNode json = mapper.readTree(out.resolve("talks/speech.wav.json").toFile());
        assertThat(json.get("file").asText()).isEqualTo("talks/speech.wav");
        assertThat(json.get("duration").decimalValue()).isEqualByComparingTo("41.000");
        assertThat(json.get("model").asText()).isEqualTo("tiny-qwen2.5-omni");
        assertThat(json.get("options").get("segment_duration").asDouble()).isEqualTo(10.0);
        JsonNode segments = json.get("segments");
        List<String> texts = new ArrayList<>();
        double previousEnd = 0;
        for (int i = 0; i < segments.size(); i++) {
            JsonNode s = segments.get(i);
            assertThat(s.get("index").asInt()).isEqualTo(i);
            assertThat(s.get("start").asDouble()).isEqualTo(previousEnd);
            assertThat(s.get("end").asDouble() - s.get("start").asDouble()).isLessThanOrEqualTo(10);
            previousEnd = s.get("end").asDouble();
            texts.add(s.get("text").asText());
        }
        assertThat(previousEnd).isEqualTo(41.0);
        assertThat(texts).isEqualTo(directTexts(input.resolve("talks/speech.wav")));

        String txt = Files.readString(out.resolve("talks/speech.wav.txt"));
        StringBuilder expectedTxt = new StringBuilder();
        texts.stream().filter(t -> !t.isBlank()).forEach(t -> expectedTxt.append(t).append('\n'));
        assertThat(txt).isEqualTo(expectedTxt.toString());

        assertValidSrt(Files.readString(out.resolve("talks/speech.wav.srt")), segments);
        assertThat(Files.readString(out.resolve("talks/speech.wav.vtt"))).startsWith("WEBVTT\n\n");
    }

    private static JsonNode read(ObjectMapper mapper, String line) {
        try {
            return mapper.readTree(line);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static final java.util.regex.Pattern CUE =
            java.util.regex.Pattern.compile(
                    "(\\d+)\\n(\\d{2}):(\\d{2}):(\\d{2}),(\\d{3}) --> (\\d{2}):(\\d{2}):(\\d{2}),(\\d{3})\\n((?:.+\\n){1,2})\\n");

    private static long ms(Matcher m, int group) {
        return Long.parseLong(m.group(group)) * 3_600_000
                + Long.parseLong(m.group(group + 1)) * 60_000
                + Long.parseLong(m.group(group + 2)) * 1000
                + Long.parseLong(m.group(group + 3));
    }

    /**
     * SRT rules: cues numbered from 1, times increasing and inside one segment, at most two lines,
     * and the cues' words are the segments' words in order.
     */
    static void assertValidSrt(String srt, JsonNode segments) {
        Matcher m = CUE.matcher(srt);
        int expectedNumber = 1;
        int end = 0;
        long previousEnd = 0;
        StringBuilder cueWords = new StringBuilder();
        while (m.find() && m.start() == end) {
            assertThat(Integer.parseInt(m.group(1))).isEqualTo(expectedNumber++);
            long start = ms(m, 2);
            long stop = ms(m, 6);
            assertThat(start).isGreaterThanOrEqualTo(previousEnd);
            assertThat(stop).isGreaterThan(start);
            boolean insideASegment = false;
            for (JsonNode s : segments) {
                long s0 = Math.round(s.get("start").asDouble() * 1000);
                long s1 = Math.round(s.get("end").asDouble() * 1000);
                insideASegment |= start >= s0 && stop <= s1;
            }
            assertThat(insideASegment).as("cue %d inside a segment", expectedNumber - 1).isTrue();
            cueWords.append(m.group(10).replace('\n', ' '));
            previousEnd = stop;
            end = m.end();
        }
        assertThat(end).as("the whole file is cues").isEqualTo(srt.length());
        StringBuilder segmentWords = new StringBuilder();
        for (JsonNode s : segments) {
            segmentWords.append(s.get("text").asText()).append(' ');
        }
        assertThat(cueWords.toString().replaceAll("\\s+", ""))
                .isEqualTo(segmentWords.toString().replaceAll("\\s+", ""));
    }

    @Test
    void aRerunSkipsFilesWhoseOutputsAreCompleteUnlessOverwriting(@TempDir Path work)
            throws Exception {
        Path in = Files.createDirectories(work.resolve("in"));
        Path out = work.resolve("out");
        Files.copy(input.resolve("talks/stereo.mp3"), in.resolve("a.mp3"));
        Files.copy(input.resolve("music/tones.ogg"), in.resolve("b.ogg"));
        runJob(in, out, false);
        Map<String, FileTime> first = mtimes(out);
        assertThat(first).hasSize(8);
        FileTime old = FileTime.fromMillis(1_000_000);
        for (String f : first.keySet()) {
            Files.setLastModifiedTime(out.resolve(f), old);
        }
        Files.delete(out.resolve("b.ogg.srt"));

        runJob(in, out, false);

        Map<String, FileTime> second = mtimes(out);
        assertThat(second).hasSize(8);
        assertThat(second.get("a.mp3.json")).isEqualTo(old);
        assertThat(second.get("b.ogg.json")).isNotEqualTo(old);
        assertThat(second.get("b.ogg.srt")).isNotEqualTo(old);

        runJob(in, out, true);

        assertThat(mtimes(out).values()).doesNotContain(old);
    }

    private static Map<String, FileTime> mtimes(Path dir) throws IOException {
        Map<String, FileTime> m = new TreeMap<>();
        for (String f : PipelineTests.filesUnder(dir)) {
            m.put(f, Files.getLastModifiedTime(dir.resolve(f)));
        }
        return m;
    }
}
