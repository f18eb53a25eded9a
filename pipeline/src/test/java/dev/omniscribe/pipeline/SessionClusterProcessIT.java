package dev.omniscribe.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.udfs.AudioFixtures;
import dev.omniscribe.udfs.AudioFixtures.Pattern;
import dev.omniscribe.udfs.TinyModel;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.ExternalResourceOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes: a Flink session cluster started from Flink's own entry points (a JobManager and
 * two TaskManagers, each its own JVM, configured from {@code flink-conf/config.yaml} with test
 * memory, ports and restart delay), the shaded job jar submitted over REST as {@code flink run}
 * does, and {@code kill -9} on one TaskManager mid-job. Runs after {@code package} (failsafe), so
 * the job jar exists.
 */
class SessionClusterProcessIT {

    private final List<Process> processes = new ArrayList<>();

    @TempDir Path work;

    @AfterEach
    void stopProcesses() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
    }

    @Test
    void aTaskManagerKilledMidJobLeavesOneCompleteSetOfOutputsPerInput() throws Exception {
        Path jar = jobJar();
        Path in = Files.createDirectories(work.resolve("in"));
        Path out = work.resolve("out");
        Path speech =
                AudioFixtures.write(work.resolve("speech.wav"), Pattern.SPEECH, 14, 16_000, 1);
        TreeSet<String> inputs = new TreeSet<>();
        for (int i = 0; i < 30; i++) {
            String name = String.format("talk-%02d.wav", i);
            Files.copy(speech, in.resolve(name));
            inputs.add(name);
        }

        Configuration conf =
                GlobalConfiguration.loadConfiguration(Path.of("..", "flink-conf").toString());
        int rpcPort = freePort();
        int restPort = freePort();
        conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
        conf.set(JobManagerOptions.PORT, rpcPort);
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.PORT, restPort);
        conf.set(RestOptions.BIND_PORT, Integer.toString(restPort));
        conf.set(TaskManagerOptions.HOST, "127.0.0.1");
        // Test-sized processes; the rest (slots, restart strategy, generic types) is flink-conf's.
        conf.set(JobManagerOptions.TOTAL_PROCESS_MEMORY, MemorySize.parse("1g"));
        conf.set(TaskManagerOptions.TOTAL_PROCESS_MEMORY, MemorySize.parse("1600m"));
        conf.set(TaskManagerOptions.TASK_OFF_HEAP_MEMORY, MemorySize.parse("256m"));
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("64m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("64m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("64m"));
        conf.set(ExternalResourceOptions.EXTERNAL_RESOURCE_LIST, List.of());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
        conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(1));
        conf.set(HeartbeatManagerOptions.HEARTBEAT_TIMEOUT, Duration.ofSeconds(6));
        Path confDir = Files.createDirectories(work.resolve("conf"));
        Files.write(
                confDir.resolve("config.yaml"),
                ConfigurationUtils.convertConfigToWritableLines(conf, false));

        start(
                "jobmanager",
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                confDir);
        start("taskmanager-1", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", confDir);
        Process victim =
                start(
                        "taskmanager-2",
                        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                        confDir);

        Configuration client = new Configuration(conf);
        try (RestClusterClient<String> rest = new RestClusterClient<>(client, "session")) {
            awaitTaskManagers(rest, restPort, 2);
            // As `flink run` does: the program's plan from its main method, the jar shipped with
            // it.
            PackagedProgram program =
                    PackagedProgram.newBuilder()
                            .setJarFile(jar.toFile())
                            .setEntryPointClassName(TranscribeCommand.class.getName())
                            .setArguments(
                                    "--input", in.toString(),
                                    "--output", out.toString(),
                                    "--model", TinyModel.dir().toString(),
                                    "--max-new-tokens", "4",
                                    "--temperature", "0",
                                    "--segment-duration", "10",
                                    // Tones are no speech: the old cuts keep the engine busy.
                                    "--vad", "off",
                                    "--threads", "1",
                                    "--parallelism", "2")
                            .setConfiguration(client)
                            .build();
            JobGraph graph = PackagedProgramUtils.createJobGraph(program, client, 2, true);
            long start = System.nanoTime();
            JobID id = rest.submitJob(graph).get(2, TimeUnit.MINUTES);

            while (jsons(out) < 3) {
                assertThat(rest.getJobStatus(id).get().isGloballyTerminalState()).isFalse();
                Thread.sleep(100);
            }
            int doneAtKill = jsons(out);
            victim.destroyForcibly(); // SIGKILL
            victim.waitFor(30, TimeUnit.SECONDS);
            double killedAt = (System.nanoTime() - start) / 1e9;
            start(
                    "taskmanager-3",
                    "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                    confDir);

            JobResult result = rest.requestJobResult(id).get(5, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    "session cluster: TaskManager killed (-9) at %.1f s with %d/%d done; job %s in"
                            + " %.1f s%n",
                    killedAt,
                    doneAtKill,
                    inputs.size(),
                    result.isSuccess() ? "succeeded" : "failed",
                    seconds);
            // The loss reached the job: its exception history holds the failover.
            String exceptions =
                    new String(
                            new java.net.URI(
                                            "http://127.0.0.1:"
                                                    + restPort
                                                    + "/jobs/"
                                                    + id
                                                    + "/exceptions")
                                    .toURL()
                                    .openStream()
                                    .readAllBytes(),
                            java.nio.charset.StandardCharsets.UTF_8);
            assertThat(exceptions)
                    .contains("\"exceptionHistory\"")
                    .doesNotContain("\"entries\":[]");
            assertThat(result.isSuccess())
                    .as(String.valueOf(result.getSerializedThrowable()))
                    .isTrue();
        }

        TreeSet<String> expected = new TreeSet<>();
        for (String f : inputs) {
            for (String ext : List.of("txt", "srt", "vtt", "json")) {
                expected.add(f + "." + ext);
            }
        }
        assertThat(PipelineTests.filesUnder(out)).isEqualTo(expected);
    }

    private Process start(String name, String mainClass, Path confDir) throws IOException {
        boolean taskManager = mainClass.endsWith("TaskManagerRunner");
        // What Flink's start scripts compute for a TaskManager: JVM memory flags and the derived
        // memory and CPU options as dynamic properties.
        Configuration conf = GlobalConfiguration.loadConfiguration(confDir.toString());
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (taskManager) {
            cmd.addAll(
                    List.of(
                            ProcessMemoryUtils.generateJvmParametersStr(spec)
                                    .trim()
                                    .split("\\s+")));
        } else {
            cmd.add("-Xmx512m");
        }
        cmd.add(
                "-Dlog4j.configurationFile="
                        + Path.of("src", "test", "resources", "log4j2-test.properties")
                                .toAbsolutePath());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of("--configDir", confDir.toString()));
        if (taskManager) {
            cmd.addAll(
                    List.of(
                            TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)
                                    .trim()
                                    .split("\\s+")));
        }
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(logs().resolve(name + ".log").toFile())
                        .start();
        processes.add(p);
        return p;
    }

    private void awaitTaskManagers(RestClusterClient<String> rest, int port, int n)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            try {
                var tms =
                        new java.net.URI("http://127.0.0.1:" + port + "/taskmanagers")
                                .toURL()
                                .openStream()
                                .readAllBytes();
                String body = new String(tms, java.nio.charset.StandardCharsets.UTF_8);
                int count = body.split("\"id\"", -1).length - 1;
                if (count >= n) {
                    return;
                }
            } catch (IOException e) {
                // Not up yet.
            }
            for (Process p : processes) {
                assertThat(p.isAlive()).as("a cluster process died; see " + logs()).isTrue();
            }
            assertThat(System.nanoTime()).as("task managers registered").isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    private static int jsons(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(out)) {
            return (int)
                    s.map(p -> p.getFileName().toString())
                            .filter(n -> n.endsWith(".json") && !n.startsWith("."))
                            .count();
        }
    }

    private static Path jobJar() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            return s.filter(p -> p.getFileName().toString().endsWith("-job.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no job jar: run mvn package"));
        }
    }

    /** The processes' logs, kept after the test in {@code target/session-cluster}. */
    private static Path logs() throws IOException {
        return Files.createDirectories(Path.of("target", "session-cluster"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
