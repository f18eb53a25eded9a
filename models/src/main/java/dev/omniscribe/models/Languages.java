package dev.omniscribe.models;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Spoken languages as ISO 639-1 codes (two letters: {@code en}, {@code zh}, {@code fr}): checking a
 * given code, naming it in English for the model's instruction, and reading the model's answer to
 * the language question.
 */
public final class Languages {

    /** What a transcript reports when the language was neither given nor recognised. */
    public static final String UNKNOWN = "unknown";

    /** Codes withdrawn from ISO 639-1 that Java still lists (now he, id, yi, ro). */
    private static final Set<String> WITHDRAWN = Set.of("iw", "in", "ji", "mo");

    private static final Set<String> CODES = codes();

    private Languages() {}

    private static Set<String> codes() {
        Set<String> out = new TreeSet<>(Arrays.asList(Locale.getISOLanguages()));
        out.removeAll(WITHDRAWN);
        return Set.copyOf(out);
    }

    /** Whether {@code code} (any case) is a known ISO 639-1 code. */
    public static boolean isCode(String code) {
        return code != null && CODES.contains(code.strip().toLowerCase(Locale.ROOT));
    }

    /**
     * The ISO 639-1 code {@code code} in lower case.
     *
     * @throws IllegalArgumentException if it is not a known ISO 639-1 code
     */
    public static String code(String code) {
        if (!isCode(code)) {
            throw new IllegalArgumentException(
                    "language must be an ISO 639-1 code such as en, zh, fr, de, es, ja (two"
                            + " letters), got '"
                            + code
                            + "'");
        }
        return code.strip().toLowerCase(Locale.ROOT);
    }

    /** The English name of a known code: {@code en} → English, {@code zh} → Chinese. */
    public static String englishName(String code) {
        return Locale.forLanguageTag(code(code)).getDisplayLanguage(Locale.ENGLISH);
    }

    /**
     * The language the model answered to the language question: its answer as an ISO 639-1 code
     * (case, surrounding space, quotes and a final full stop ignored), or {@link #UNKNOWN} for any
     * other answer. Never throws.
     */
    public static String fromAnswer(String answer) {
        if (answer == null) {
            return UNKNOWN;
        }
        String a = answer.strip();
        while (!a.isEmpty() && "\"'`.。 ".indexOf(a.charAt(a.length() - 1)) >= 0) {
            a = a.substring(0, a.length() - 1);
        }
        while (!a.isEmpty() && "\"'` ".indexOf(a.charAt(0)) >= 0) {
            a = a.substring(1);
        }
        return a.length() == 2 && isCode(a) ? a.toLowerCase(Locale.ROOT) : UNKNOWN;
    }
}
