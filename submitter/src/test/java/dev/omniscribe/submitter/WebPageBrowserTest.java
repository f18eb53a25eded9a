package dev.omniscribe.submitter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page at {@code /} in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}) against a real service with the tiny model: a person picks a clip, sets
 * options, uploads, waits, reads the transcript, plays a segment and downloads the result files; a
 * non-audio file and a missing API key end in plain sentences.
 *
 * <p>Leaves a screenshot of the finished page in {@code target/web-page.png} (the README's
 * screenshot is a copy of it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebPageBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String API_KEY = "page-test-key";
    private static final Duration JOB_WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path work;
    @TempDir static Path keyedWork;
    @TempDir static Path smallWork;
    @TempDir static Path limitedWork;
    @TempDir static Path files;
    @TempDir static Path downloads;
    @TempDir static Path profile;

    private TestServer server;
    private TestServer keyed;
    private ChromeDriver browser;
    private Path clip;
    private Path notes;

    @BeforeAll
    void start() throws IOException {
        assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
                .as(
                        "the browser test needs Debian's chromium and chromedriver in /usr/bin:"
                                + " apt-get install -y chromium chromium-driver")
                .isTrue();
        server = TestServer.start(work);
        keyed = TestServer.start(keyedWork, "--api-key", API_KEY);
        // 12 s with a pause in the middle: several 5 s segments.
        clip = TestAudio.tone(files, "clip.wav", 12);
        notes = files.resolve("notes.txt");
        Files.writeString(notes, "shopping list: milk, eggs, bread\n".repeat(40));
        browser = startBrowser();
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (keyed != null) {
            keyed.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void transcribesAPickedClipAndShowsSegmentsPlaysFromASegmentAndDownloadsEachFormat()
            throws Exception {
        open(server);
        new Select(byId("s2t")).selectByValue("true");
        byId("segment-duration").sendKeys("5");
        byId("prompt").sendKeys("Transcribe the audio.");
        byId("file").sendKeys(clip.toString());
        assertThat(byId("file-name").getText()).startsWith("clip.wav (");

        byId("submit").click();
        waitForResultOrError();

        assertThat(byId("error").isDisplayed()).as(byId("error").getText()).isFalse();
        assertThat(byId("upload-progress").getDomProperty("value")).isEqualTo("100");
        assertThat(byId("upload-text").getText()).isEqualTo("done");
        assertThat(byId("job-progress").getDomProperty("value")).isEqualTo("100");
        String jobId = byId("job-id").getText();
        assertThat(jobId).isNotBlank();

        // The options the page sent reached the job.
        JsonNode result = JSON.readTree(server.http.get(resultPath(jobId, "json")).body());
        assertThat(result.path("options").path("opencc").asText()).isEqualTo("s2t");
        assertThat(result.path("options").path("segment_duration").asInt()).isEqualTo(5);
        assertThat(result.path("options").path("prompt").asText())
                .isEqualTo("Transcribe the audio.");

        // One row per segment of result.json: its times on the play button, its text beside it.
        JsonNode segments = result.path("segments");
        assertThat(segments.size()).isGreaterThanOrEqualTo(2);
        List<WebElement> rows = browser.findElements(By.cssSelector("#segments li.segment"));
        assertThat(rows).hasSize(segments.size());
        for (int i = 0; i < rows.size(); i++) {
            JsonNode seg = segments.get(i);
            WebElement row = rows.get(i);
            assertThat(row.findElement(By.cssSelector("button.seek")).getText())
                    .isEqualTo(
                            clock(seg.path("start").asDouble())
                                    + " – "
                                    + clock(seg.path("end").asDouble()));
            String text = seg.path("text").asText();
            assertThat(row.findElement(By.cssSelector(".text")).getText())
                    .isEqualTo(text.isBlank() ? "(no speech)" : text.strip());
        }

        // The player plays the picked file itself (a local object URL), from the chosen segment.
        WebElement player = byId("player");
        assertThat(player.getDomProperty("src")).startsWith("blob:");
        double secondStart = segments.get(1).path("start").asDouble();
        rows.get(1).findElement(By.cssSelector("button.seek")).click();
        new WebDriverWait(browser, Duration.ofSeconds(20))
                .withMessage("the player should play from the second segment's start")
                .until(
                        b ->
                                !Boolean.parseBoolean(player.getDomProperty("paused"))
                                        && Double.parseDouble(player.getDomProperty("currentTime"))
                                                > secondStart);
        assertThat(Double.parseDouble(player.getDomProperty("currentTime")))
                .isLessThan(secondStart + 5);
        js("document.getElementById('player').pause()");

        screenshot();

        // Each download button saves exactly what GET /jobs/{id}/result.<format> answers.
        for (String format : List.of("srt", "txt", "vtt", "json")) {
            browser.findElement(By.cssSelector("button.download[data-format='" + format + "']"))
                    .click();
            Path saved = waitForDownload("clip." + format);
            HttpResponse<String> direct = server.http.get(resultPath(jobId, format));
            assertThat(direct.statusCode()).isEqualTo(200);
            assertThat(Files.readString(saved, StandardCharsets.UTF_8))
                    .as(format)
                    .isEqualTo(direct.body());
        }
        assertThat(Files.readString(downloads.resolve("clip.srt"))).startsWith("1\n");

        assertNoBrowserErrors();
    }

    @Test
    void showsThePlainSentenceWithTheServersMessageWhenTheFileIsNotAudio() throws Exception {
        HttpResponse<String> direct =
                server.http.postFile("/transcribe/async", "notes.txt", Files.readAllBytes(notes));
        assertThat(direct.statusCode()).isEqualTo(415);
        String message = JSON.readTree(direct.body()).path("error").path("message").asText();
        assertThat(message).isNotBlank();

        String error = uploadAndWaitForError(server, notes);
        assertThat(error)
                .isEqualTo(
                        "This file does not look like audio or video, so it was not transcribed."
                                + " The server said: "
                                + sentence(message));
        assertThat(byId("upload-text").getText()).isEqualTo("refused");
        assertThat(byId("result").isDisplayed()).isFalse();
        assertThat(byId("submit").isEnabled()).isTrue();
    }

    @Test
    void saysTheFileIsTooLargeWithTheServersMessageWhenItIsOverTheUploadLimit() throws Exception {
        try (TestServer small = TestServer.start(smallWork, "--max-upload-size", "64K")) {
            HttpResponse<String> direct =
                    small.http.postFile("/transcribe/async", "clip.wav", Files.readAllBytes(clip));
            assertThat(direct.statusCode()).isEqualTo(413);
            String message = JSON.readTree(direct.body()).path("error").path("message").asText();

            String error = uploadAndWaitForError(small, clip);
            assertThat(error)
                    .isEqualTo(
                            "The file is too large for this server. The server said: "
                                    + sentence(message));
            assertThat(byId("submit").isEnabled()).isTrue();
        }
    }

    @Test
    void saysWhenToTryAgainWhenTheServerRateLimitsTheUpload() throws Exception {
        try (TestServer limited = TestServer.start(limitedWork, "--rate-limit", "1")) {
            // This address's one upload of the minute goes first, from outside the page.
            assertThat(
                            limited.http
                                    .postFile("/transcribe/async", "notes.txt", new byte[0])
                                    .statusCode())
                    .isNotEqualTo(429);

            String error = uploadAndWaitForError(limited, clip);
            assertThat(error)
                    .matches(
                            "Too many uploads from this address in the last minute\\. Try again in"
                                    + " \\d+ seconds\\. The server said: Too many requests from"
                                    + " this client; retry in \\d+ s\\.");
        }
    }

    @Test
    void asksForTheApiKeyWhenTheServerWantsOneAndWorksOnceItIsGiven() {
        // The page's files are public; the API behind them is not.
        assertThat(keyed.http.withBearer(null).get("/").statusCode()).isEqualTo(200);
        assertThat(keyed.http.withBearer(null).get("/status/nothing").statusCode()).isEqualTo(401);

        String error = uploadAndWaitForError(keyed, clip);
        assertThat(error)
                .isEqualTo(
                        "This server needs an API key: enter it under Options and try again."
                                + " The server said: Missing bearer token (Authorization: Bearer"
                                + " <key>).");

        byId("api-key").sendKeys(API_KEY);
        byId("submit").click();
        waitForResultOrError();
        assertThat(byId("error").isDisplayed()).as(byId("error").getText()).isFalse();
        assertThat(browser.findElements(By.cssSelector("#segments li.segment"))).isNotEmpty();
    }

    @Test
    void servesThePageWithAStrictSelfOnlyContentSecurityPolicy() {
        HttpResponse<String> page = server.http.get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(csp)
                .contains("default-src 'none'", "script-src 'self'", "style-src 'self'")
                .contains("connect-src 'self'", "media-src blob:", "frame-ancestors 'none'")
                .doesNotContain("unsafe", "*", "http:", "https:", "data:");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(page.body()).contains("<script src=\"/app.js\" defer></script>");
        // API answers keep the policy that allows nothing.
        assertThat(server.http.get("/health").headers().firstValue("Content-Security-Policy"))
                .hasValue("default-src 'none'; frame-ancestors 'none'");
        for (String file : List.of("/app.js", "/app.css", "/favicon.svg")) {
            assertThat(server.http.get(file).statusCode()).as(file).isEqualTo(200);
        }
    }

    // --- the browser ---

    private ChromeDriver startBrowser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--mute-audio",
                "--window-size=1100,1300",
                "--user-data-dir=" + profile);
        Map<String, Object> prefs = new HashMap<>();
        prefs.put("download.default_directory", downloads.toString());
        prefs.put("download.prompt_for_download", false);
        prefs.put("safebrowsing.enabled", false);
        options.setExperimentalOption("prefs", prefs);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(CHROMEDRIVER.toFile())
                        .usingAnyFreePort()
                        .build();
        return new ChromeDriver(service, options);
    }

    private void open(TestServer s) {
        browser.get("http://127.0.0.1:" + s.server.port() + "/");
        assertThat(browser.getTitle()).isEqualTo("omniscribe: transcribe a recording");
        browser.manage().logs().get(LogType.BROWSER); // start each page with an empty log
    }

    private WebElement byId(String id) {
        return browser.findElement(By.id(id));
    }

    /** Opens the page on {@code server}, uploads {@code file}, returns the error the page shows. */
    private String uploadAndWaitForError(TestServer server, Path file) {
        open(server);
        byId("file").sendKeys(file.toString());
        byId("submit").click();
        WebElement error = byId("error");
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> error.isDisplayed());
        return error.getText();
    }

    private void waitForResultOrError() {
        WebElement result = byId("result");
        WebElement error = byId("error");
        new WebDriverWait(browser, JOB_WAIT)
                .withMessage("the page should show the transcript or an error")
                .until(b -> result.isDisplayed() || error.isDisplayed());
    }

    private Path waitForDownload(String name) {
        Path file = downloads.resolve(name);
        new WebDriverWait(browser, Duration.ofSeconds(20))
                .withMessage("the browser should save " + name)
                .until(b -> Files.isRegularFile(file) && !Files.exists(partial(file)));
        return file;
    }

    private static Path partial(Path file) {
        return file.resolveSibling(file.getFileName() + ".crdownload");
    }

    private Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    private void screenshot() throws IOException {
        File shot = browser.getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", "web-page.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Errors the page caused: failed requests, script errors, CSP violations. */
    private void assertNoBrowserErrors() {
        List<String> severe =
                browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                        .map(LogEntry::getMessage)
                        .toList();
        assertThat(severe).isEmpty();
    }

    private static String resultPath(String jobId, String format) {
        return "/jobs/" + jobId + "/result." + format;
    }

    /** The page's time format: m:ss.s. */
    private static String clock(double seconds) {
        long tenths = Math.round(seconds * 10);
        return String.format(Locale.ROOT, "%d:%04.1f", tenths / 600, (tenths % 600) / 10.0);
    }

    /** The page's rendering of a server message: capitalised, ending in a full stop. */
    private static String sentence(String message) {
        String s = message.strip();
        s = Character.toUpperCase(s.charAt(0)) + s.substring(1);
        return s.matches(".*[.!?]$") ? s : s + ".";
    }
}
