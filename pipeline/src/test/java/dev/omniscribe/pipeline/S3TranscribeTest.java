package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.FileTranscript;
import dev.omniscribe.udfs.SegmentationSettings;
import dev.omniscribe.udfs.TinyModel;
import dev.omniscribe.udfs.format.OutputFormat;
import dev.omniscribe.udfs.format.OutputLayout;
import dev.omniscribe.udfs.fs.Storage;
import dev.omniscribe.udfs.sink.FailureSink;
import dev.omniscribe.udfs.sink.TranscriptSink;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code s3a://} in and out through Hadoop's S3A client against a real S3 API server (S3Proxy with
 * its in-memory store) on loopback, with the real engine on the tiny model.
 */
class S3TranscribeTest {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = PipelineTests.oneTaskManagerTwoSlots();

    static final String ACCESS_KEY = "omniscribe-test";
    static final String SECRET_KEY = "omniscribe-test-secret";
    static final SegmentationSettings SEGMENTS =
            new SegmentationSettings(10_000, false, SegmentationSettings.Channels.MIXED);
    static final ObjectMapper JSON = new ObjectMapper();

    static final BlobStore STORE = new CompletedObjectsOnly(new TransientNio2BlobStore());

    /**
     * The in-memory store as S3 behaves: an object is listed only once its upload completed. The
     * store writes an upload to {@code <key>-<uuid>} and renames it when done, and a listing in
     * between showed that name (a watching job then read a half-written object).
     */
    static final class CompletedObjectsOnly extends ForwardingBlobStore {
        private static final java.util.regex.Pattern IN_PROGRESS =
                java.util.regex.Pattern.compile(
                        ".*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");

        CompletedObjectsOnly(BlobStore store) {
            super(store);
        }

        @Override
        public ListObjectsV2Response list(ListObjectsV2Request request) {
            ListObjectsV2Response all = super.list(request);
            List<S3Object> done =
                    all.contents().stream()
                            .filter(o -> !IN_PROGRESS.matcher(o.key()).matches())
                            .toList();
            return all.toBuilder().contents(done).keyCount(done.size()).build();
        }
    }

    static S3Proxy proxy;
    static int port;
    static S3Client s3;

    @TempDir static Path audio;

    @BeforeAll
    static void startServer() throws Exception {
        proxy = startProxy(0);
        port = proxy.getPort();
        s3 =
                S3Client.builder()
                        .endpointOverride(URI.create(endpoint()))
                        .forcePathStyle(true)
                        .region(Region.US_EAST_1)
                        .credentialsProvider(
                                StaticCredentialsProvider.create(
                                        AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                        .httpClient(ApacheHttpClient.create())
                        .build();
        AudioFixtures.write(audio.resolve("speech.wav"), Pattern.SPEECH, 23, 16_000, 1);
        AudioFixtures.write(
                audio.resolve("stereo.mp3"), Pattern.SPEECH, 12, 44_100, 2, "-c:a", "libmp3lame");
        AudioFixtures.write(
                audio.resolve("tones.ogg"), Pattern.TONES, 7, 48_000, 2, "-c:a", "libopus");
        AudioFixtures.write(audio.resolve("short.wav"), Pattern.SPEECH, 3, 16_000, 1);
        // MP4 containers with their index (moov) after the media data: a reader must seek.
        AudioFixtures.write(audio.resolve("index-last.m4a"), Pattern.SPEECH, 14, 44_100, 2);
        AudioFixtures.videoWithAudio(audio.resolve("clip.mp4"), Pattern.SPEECH, 9);
        for (String name : List.of("index-last.m4a", "clip.mp4")) {
            List<String> boxes = AudioFixtures.mp4Boxes(audio.resolve(name));
            if (boxes.indexOf("moov") < boxes.indexOf("mdat")) {
                throw new IllegalStateException(name + " has its index first: " + boxes);
            }
        }
    }

    static S3Proxy startProxy(int onPort) throws Exception {
        S3Proxy p =
                S3Proxy.builder()
                        .blobStore(STORE)
                        .endpoint(URI.create("http://127.0.0.1:" + onPort))
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                        .build();
        p.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"STARTED".equals(p.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + p.getState());
            }
            Thread.sleep(20);
        }
        return p;
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (s3 != null) {
            s3.close();
        }
        if (proxy != null) {
            proxy.stop();
        }
    }

    static String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** S3A with the test server's endpoint and keys, few quick retries. */
    static Storage storage(String accessKey) {
        return new Storage(
                endpoint(),
                true,
                Map.of(
                        "fs.s3a.access.key", accessKey,
                        "fs.s3a.secret.key", SECRET_KEY,
                        "fs.s3a.retry.limit", "2",
                        "fs.s3a.retry.interval", "100ms",
                        "fs.s3a.attempts.maximum", "1",
                        "fs.s3a.connection.establish.timeout", "2s",
                        "fs.s3a.connection.timeout", "5s"));
    }

    static void createBucket(String bucket) {
        s3.createBucket(b -> b.bucket(bucket));
    }

    static void upload(String bucket, String key, Path file) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(file));
    }

    static TreeMap<String, String> objects(String bucket, String prefix) {
        TreeMap<String, String> out = new TreeMap<>();
        for (S3Object o :
                s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            out.put(
                    o.key().substring(prefix.length()),
                    s3.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asUtf8String());
        }
        return out;
    }

    static TreeSet<String> keys(String bucket, String prefix) {
        TreeSet<String> out = new TreeSet<>();
        for (S3Object o :
                s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            out.add(o.key().substring(prefix.length()));
        }
        return out;
    }

    static boolean exists(String bucket, String key) {
        return s3.listObjectsV2(b -> b.bucket(bucket).prefix(key)).keyCount() > 0;
    }

    static JobSettings settings(Storage storage, OutputLayout skipCompleted) {
        return PipelineTests.tinyJob(SEGMENTS, 3, 4, skipCompleted, storage);
    }

    static StreamExecutionEnvironment env(Configuration conf) {
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.configure(conf);
        return env;
    }

    static OutputLayout layout(String outputUri, Storage storage) {
        return new OutputLayout(outputUri, List.of(OutputFormat.values()), storage);
    }

    static void addJob(
            StreamExecutionEnvironment env,
            String input,
            OutputLayout layout,
            Storage storage,
            Duration watch,
            boolean skipCompleted,
            Sink<FileTranscript> extra) {
        var merged =
                TranscribeJob.build(
                        env,
                        AudioSources.folder(input, null, watch, storage),
                        new TranscriptSink(layout, TinyModel.dir().toString()),
                        new FailureSink(layout),
                        settings(storage, skipCompleted ? layout : null));
        if (extra != null) {
            merged.sinkTo(extra).uid("collect").name("collect").setParallelism(1);
        }
    }

    static TreeMap<String, String> localFiles(Path dir) throws IOException {
        TreeMap<String, String> out = new TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).collect(Collectors.toList())) {
                out.put(
                        dir.relativize(p).toString().replace('\\', '/'),
                        Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void transcribesAnS3PrefixIntoS3ExactlyAsALocalRunAndLeavesNoOtherObjects(@TempDir Path work)
            throws Exception {
        createBucket("archive");
        createBucket("transcripts");
        Path local = Files.createDirectories(work.resolve("in/calls"));
        for (String name :
                List.of("speech.wav", "stereo.mp3", "tones.ogg", "index-last.m4a", "clip.mp4")) {
            upload("archive", "2024/calls/" + name, audio.resolve(name));
            Files.copy(audio.resolve(name), local.resolve(name));
        }
        Files.write(local.resolve("broken.mp3"), "not audio".getBytes(StandardCharsets.UTF_8));
        upload("archive", "2024/calls/broken.mp3", local.resolve("broken.mp3"));
        // Hidden and partial objects are never read.
        upload("archive", "2024/calls/_incoming/speech.wav", audio.resolve("speech.wav"));
        upload("archive", "2024/calls/.upload.wav", audio.resolve("speech.wav"));
        upload("archive", "2024/calls/speech.wav.tmp", audio.resolve("speech.wav"));
        // Outside the prefix.
        upload("archive", "2023/speech.wav", audio.resolve("speech.wav"));

        Storage storage = storage(ACCESS_KEY);
        StreamExecutionEnvironment s3Env = env(new Configuration());
        addJob(
                s3Env,
                "s3a://archive/2024",
                layout("s3a://transcripts/run", storage),
                storage,
                null,
                true,
                null);
        s3Env.execute("s3");

        Path localOut = work.resolve("out");
        StreamExecutionEnvironment localEnv = env(new Configuration());
        addJob(
                localEnv,
                work.resolve("in").toUri().toString(),
                layout(localOut.toUri().toString(), Storage.DEFAULT),
                Storage.DEFAULT,
                null,
                true,
                null);
        localEnv.execute("local");

        TreeMap<String, String> fromS3 = objects("transcripts", "run/");
        TreeMap<String, String> fromDisk = localFiles(localOut);
        assertThat(fromS3.keySet())
                .containsExactly(
                        "_failures.jsonl",
                        "calls/clip.mp4.json",
                        "calls/clip.mp4.srt",
                        "calls/clip.mp4.txt",
                        "calls/clip.mp4.vtt",
                        "calls/index-last.m4a.json",
                        "calls/index-last.m4a.srt",
                        "calls/index-last.m4a.txt",
                        "calls/index-last.m4a.vtt",
                        "calls/speech.wav.json",
                        "calls/speech.wav.srt",
                        "calls/speech.wav.txt",
                        "calls/speech.wav.vtt",
                        "calls/stereo.mp3.json",
                        "calls/stereo.mp3.srt",
                        "calls/stereo.mp3.txt",
                        "calls/stereo.mp3.vtt",
                        "calls/tones.ogg.json",
                        "calls/tones.ogg.srt",
                        "calls/tones.ogg.txt",
                        "calls/tones.ogg.vtt");
        // Objects are read with seeks, as local files are: every transcript is byte-equal (MP3
        // encoder padding trimmed, MP4 indexes after the media found). ffmpeg names its input in
        // a decode error (a path, or the loopback address it reads the object from).
        String failures = fromS3.remove("_failures.jsonl");
        assertThat(fromDisk.remove("_failures.jsonl")).startsWith(failures.substring(0, 60));
        assertThat(fromS3).isEqualTo(fromDisk);
        assertThat(JSON.readTree(fromS3.get("calls/speech.wav.json")).get("duration").asDouble())
                .isEqualTo(23.0);
        assertThat(failures)
                .contains("\"file\":\"calls/broken.mp3\"")
                .contains("\"stage\":\"decode\"");
    }

    /** Every transcript the job emits, across runs, in this JVM (the mini cluster's). */
    static final ConcurrentLinkedQueue<String> EMITTED = new ConcurrentLinkedQueue<>();

    static final class Collect implements Sink<FileTranscript> {
        @Override
        public SinkWriter<FileTranscript> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(FileTranscript t, Context c) {
                    EMITTED.add(t.relativePath());
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    static JobClient startWatching(Storage storage, String savepoint) throws Exception {
        Configuration conf = new Configuration();
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = env(conf);
        env.enableCheckpointing(300);
        addJob(
                env,
                "s3a://inbox/new",
                layout("s3a://inbox-out/t", storage),
                storage,
                Duration.ofMillis(300),
                false,
                new Collect());
        return env.executeAsync("watch");
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void watchesAPrefixAndAfterAStopWithSavepointAndRestoreTranscribesEachObjectExactlyOnce(
            @TempDir Path savepoints) throws Exception {
        createBucket("inbox");
        createBucket("inbox-out");
        EMITTED.clear();
        Storage storage = storage(ACCESS_KEY);
        upload("inbox", "new/a.wav", audio.resolve("short.wav"));

        JobClient first = startWatching(storage, null);
        await("a", () -> exists("inbox-out", "t/a.wav.json"));
        upload("inbox", "new/b.mp3", audio.resolve("stereo.mp3"));
        await("b", () -> exists("inbox-out", "t/b.mp3.json"));
        String savepoint =
                first.stopWithSavepoint(
                                false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(2, TimeUnit.MINUTES);

        // Arrives while nothing runs.
        upload("inbox", "new/c.ogg", audio.resolve("tones.ogg"));
        JobClient second = startWatching(storage, savepoint);
        await("c", () -> exists("inbox-out", "t/c.ogg.json"));
        upload("inbox", "new/sub/d.wav", audio.resolve("short.wav"));
        await("d", () -> exists("inbox-out", "t/sub/d.wav.json"));
        // One more poll and checkpoint: nothing more may come.
        Thread.sleep(1500);
        second.cancel().get(1, TimeUnit.MINUTES);

        List<String> emitted = new ArrayList<>(EMITTED);
        assertThat(emitted).containsExactlyInAnyOrder("a.wav", "b.mp3", "c.ogg", "sub/d.wav");
        assertThat(objects("inbox-out", "t/").keySet())
                .containsExactly(
                        "a.wav.json",
                        "a.wav.srt",
                        "a.wav.txt",
                        "a.wav.vtt",
                        "b.mp3.json",
                        "b.mp3.srt",
                        "b.mp3.txt",
                        "b.mp3.vtt",
                        "c.ogg.json",
                        "c.ogg.srt",
                        "c.ogg.txt",
                        "c.ogg.vtt",
                        "sub/d.wav.json",
                        "sub/d.wav.srt",
                        "sub/d.wav.txt",
                        "sub/d.wav.vtt");
    }

    @Test
    void wrongCredentialsFailTheJobWithAccessDenied() {
        createBucket("locked");
        upload("locked", "in/a.wav", audio.resolve("short.wav"));
        Storage wrong = storage("not-the-key");
        StreamExecutionEnvironment env = env(new Configuration());
        addJob(env, "s3a://locked/in", layout("s3a://locked/out", wrong), wrong, null, false, null);
        assertThatThrownBy(() -> env.execute("wrong keys"))
                .hasStackTraceContaining("AccessDeniedException: s3a://locked/in")
                .hasStackTraceContaining("Status Code: 403");
        assertThat(objects("locked", "out/")).isEmpty();
    }

    @Test
    void theCommandLineReadsEndpointAndPathStyleAndRefusesAMissingBucket() throws Exception {
        // The command runs in a JVM of its own: credentials come from the environment there.
        createBucket("cli");
        upload("cli", "in/a.wav", audio.resolve("short.wav"));
        Process ok =
                command(
                        ACCESS_KEY,
                        "--input",
                        "s3a://cli/in",
                        "--output",
                        "s3a://cli/out",
                        "--s3-endpoint",
                        endpoint(),
                        "--s3-path-style");
        String okLog = new String(ok.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ok.waitFor()).as(okLog).isZero();
        assertThat(objects("cli", "out/").keySet()).containsExactly("a.wav.json", "a.wav.txt");

        Process missing =
                command(
                        ACCESS_KEY,
                        "--input",
                        "s3a://no-such-bucket/in",
                        "--output",
                        "s3a://cli/out2",
                        "--s3-endpoint",
                        endpoint(),
                        "--s3-path-style");
        String missingLog =
                new String(missing.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // The bucket is missing, not just the prefix: S3's answer, so the job's own failure (3).
        assertThat(missing.waitFor()).as(missingLog).isEqualTo(3);
        assertThat(missingLog).contains("no-such-bucket");
        assertThat(objects("cli", "out2/")).isEmpty();

        Process denied =
                command(
                        "wrong-key",
                        "--input",
                        "s3a://cli/in",
                        "--output",
                        "s3a://cli/out3",
                        "--s3-endpoint",
                        endpoint(),
                        "--s3-path-style");
        String deniedLog =
                new String(denied.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(denied.waitFor()).as(deniedLog).isEqualTo(3);
        assertThat(deniedLog).contains("403");
        assertThat(objects("cli", "out3/")).isEmpty();
    }

    static Process command(String accessKey, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TranscribeCommand.class.getName());
        cmd.addAll(List.of(args));
        cmd.addAll(
                List.of(
                        "--model", TinyModel.dir().toString(),
                        "--max-new-tokens", "2",
                        "--formats", "txt,json",
                        "--decode-parallelism", "1"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("AWS_ACCESS_KEY_ID", accessKey);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        pb.environment().remove("FLINK_CONF_DIR");
        return pb.start();
    }

    @Test
    void theServerGoingAwayMidJobFailsTheJobAndLeavesOnlyWholeTranscripts() throws Exception {
        createBucket("flaky");
        for (int i = 0; i < 6; i++) {
            upload("flaky", "in/talk" + i + ".wav", audio.resolve("speech.wav"));
        }
        Storage storage = storage(ACCESS_KEY);
        StreamExecutionEnvironment env = env(new Configuration());
        addJob(
                env,
                "s3a://flaky/in",
                layout("s3a://flaky/out", storage),
                storage,
                null,
                false,
                null);
        JobClient job = env.executeAsync("flaky");
        await("a first transcript", () -> !keys("flaky", "out/").isEmpty());
        proxy.stop();
        try {
            // The job fails because of the S3 client: a read (a 503 from the stopping server) or
            // a write (connection refused), whichever the outage hits first.
            assertThatThrownBy(() -> job.getJobExecutionResult().get(3, TimeUnit.MINUTES))
                    .hasStackTraceContaining("software.amazon.awssdk");
        } finally {
            proxy = startProxy(port);
        }

        TreeMap<String, String> out = objects("flaky", "out/");
        TreeSet<String> inputs = new TreeSet<>();
        for (String key : out.keySet()) {
            assertThat(key).matches("talk\\d\\.wav\\.(json|srt|txt|vtt)");
            inputs.add(key.substring(0, key.indexOf(".wav") + 4));
        }
        assertThat(inputs.size()).isLessThan(6);
        for (String input : inputs) {
            if (out.containsKey(input + ".json")) {
                // JSON is written last: its presence means the transcript is whole.
                assertThat(out).containsKeys(input + ".txt", input + ".srt", input + ".vtt");
                assertThat(JSON.readTree(out.get(input + ".json")).get("duration").asDouble())
                        .isEqualTo(23.0);
            }
        }
    }
}
