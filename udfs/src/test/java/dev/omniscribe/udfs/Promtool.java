package dev.omniscribe.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus' own checker, {@code promtool check metrics} (Debian package {@code prometheus}, which
 * {@code bin/test} installs when missing): parses the text exposition format and lints names, types
 * and help texts. Fails loudly when promtool is absent.
 */
public final class Promtool {

    private Promtool() {}

    /**
     * What promtool printed for {@code text}, after asserting that it accepted it: it parses and no
     * lint rule objects (names, units, suffixes, help texts).
     */
    public static String check(String text) throws IOException, InterruptedException {
        Result r = run(text);
        assertThat(r.exitCode())
                .as("promtool check metrics exit code; it said:%n%s%non:%n%s", r.output(), text)
                .isZero();
        return r.output();
    }

    /**
     * Asserts that {@code text} parses as the text exposition format; lint findings (names that are
     * not snake case, say) are accepted.
     */
    public static void checkSyntax(String text) throws IOException, InterruptedException {
        Result r = run(text);
        assertThat(r.output())
                .as("promtool on:%n%s", text)
                .doesNotContain("parsing error")
                .doesNotContain("error while linting");
        if (r.exitCode() != 0) {
            assertThat(r.output()).as("promtool's findings on:%n%s", text).isNotBlank();
        }
    }

    private record Result(int exitCode, String output) {}

    private static Result run(String text) throws IOException, InterruptedException {
        String promtool = find();
        Process p =
                new ProcessBuilder(promtool, "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        return new Result(p.exitValue(), output);
    }

    private static String find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError(
                "promtool is not installed: install Debian's 'prometheus' package"
                        + " (bin/test does so when missing)");
    }
}
