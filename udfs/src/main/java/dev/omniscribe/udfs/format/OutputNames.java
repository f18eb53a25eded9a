package dev.omniscribe.udfs.format;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How an input's outputs are named: a template for the file name, in the input's folder below the
 * output root, before the format's extension. Placeholders:
 *
 * <ul>
 *   <li>{@code {name}}: the input's file name with its extension ({@code talk.mp3}), the default;
 *       {@code talk.mp3} and {@code talk.wav} never collide;
 *   <li>{@code {stem}}: the file name without its last extension ({@code talk}), as media servers
 *       (Plex, Jellyfin) expect subtitles beside {@code talk.mp3};
 *   <li>{@code {lang}}: the job's language, or {@code und} (ISO 639-2 "undetermined") when none is
 *       given.
 * </ul>
 *
 * {@code {stem}.{lang}} names the SRT of {@code a/talk.mp3} with language {@code en} {@code
 * a/talk.en.srt}.
 *
 * @param template the file name template; must hold {@code {name}} or {@code {stem}}
 * @param language what {@code {lang}} stands for, or null for {@code und}
 */
public record OutputNames(String template, String language) implements Serializable {

    // Before DEFAULT: its constructor uses it.
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^}]*)}");

    /** The default: the input's name with its extension, then the format's. */
    public static final String DEFAULT_TEMPLATE = "{name}";

    /** {@code {lang}} when no language is given (ISO 639-2: undetermined). */
    public static final String UNDETERMINED = "und";

    /** Inputs' names as they are: {@code talk.mp3.srt}. */
    public static final OutputNames DEFAULT = new OutputNames(DEFAULT_TEMPLATE, null);

    public OutputNames {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException(
                    "--output-name must not be empty (default " + DEFAULT_TEMPLATE + ")");
        }
        if (template.contains("/") || template.contains("\\")) {
            throw new IllegalArgumentException(
                    "--output-name names a file beside the input's place below the output folder;"
                            + " it cannot hold '/' or '\\\\': "
                            + template);
        }
        Matcher m = PLACEHOLDER.matcher(template);
        boolean names = false;
        while (m.find()) {
            switch (m.group(1)) {
                case "name", "stem" -> names = true;
                case "lang" -> {}
                default ->
                        throw new IllegalArgumentException(
                                "--output-name: unknown placeholder {"
                                        + m.group(1)
                                        + "}; use {name}, {stem} and {lang}");
            }
        }
        if (!names) {
            throw new IllegalArgumentException(
                    "--output-name must hold {name} or {stem}, or every input would get one name: "
                            + template);
        }
        if (language != null && !language.matches("[A-Za-z0-9-]+")) {
            throw new IllegalArgumentException(
                    "the language for {lang} must be a code such as en or zh-TW, got '"
                            + language
                            + "'");
        }
    }

    /**
     * The output path of {@code relativePath} without the format's extension: its folder, then the
     * template filled in ({@code a/b/talk.mp3} with {@code {stem}.{lang}} gives {@code
     * a/b/talk.und}).
     */
    public String apply(String relativePath) {
        int slash = relativePath.lastIndexOf('/');
        String folder = relativePath.substring(0, slash + 1);
        String name = relativePath.substring(slash + 1);
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String lang = language == null ? UNDETERMINED : language.toLowerCase(Locale.ROOT);
        return folder
                + template.replace("{name}", name).replace("{stem}", stem).replace("{lang}", lang);
    }
}
