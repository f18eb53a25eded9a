package dev.omniscribe.submitter.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The page's files as shipped: the public paths match the folder, and nothing is inline. */
class WebPageTest {

    private static Path folder() throws URISyntaxException {
        return Path.of(WebPage.class.getResource(WebPage.CLASSPATH_DIR).toURI());
    }

    @Test
    void publicPathsAreExactlyTheFilesInTheWebFolderAndTheRoot() throws Exception {
        Set<String> files = new HashSet<>();
        try (Stream<Path> s = Files.list(folder())) {
            s.forEach(p -> files.add("/" + p.getFileName()));
        }
        files.add("/");

        assertThat(WebPage.PATHS).containsExactlyInAnyOrderElementsOf(files);
    }

    @Test
    void pageHasNoInlineScriptStyleOrEventHandlerSoTheStrictPolicyHolds()
            throws IOException, URISyntaxException {
        String html = Files.readString(folder().resolve("index.html"), StandardCharsets.UTF_8);

        assertThat(html.split("<script", -1)).hasSize(2);
        assertThat(html).contains("<script src=\"/app.js\" defer></script>");
        assertThat(html).doesNotContain("<style", " style=", "javascript:");
        assertThat(html).doesNotContainPattern("\\son[a-z]+=");
        assertThat(html).doesNotContain("http://", "https://");
    }

    @Test
    void scriptNeverWritesHtmlSoTrustedTypesCanBeRequired() throws Exception {
        String js = Files.readString(folder().resolve("app.js"), StandardCharsets.UTF_8);

        assertThat(js).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(");
        assertThat(js).doesNotContain("document.write", "http://", "https://");
    }
}
