package dev.omniscribe.submitter.upload;

import java.text.Normalizer;

/**
 * Turns a client-supplied file name into one safe to use as a single path element.
 *
 * <p>Only the last element of the name survives (both {@code /} and {@code \} separate); control
 * characters and anything but letters, digits, {@code .}, {@code -}, {@code _} and spaces become
 * {@code _}; leading dots, dashes and underscores go (so the result is never hidden, never {@code
 * ..}, never an option, and never a name the pipeline skips); a trailing {@code .tmp} is
 * neutralized for the same reason; the result is at most {@value #MAX_LENGTH} characters, keeping
 * the extension. An empty result becomes {@code audio}.
 */
public final class FileNames {

    /** Longest sanitized name, in characters. */
    public static final int MAX_LENGTH = 120;

    private FileNames() {}

    public static String sanitize(String clientName) {
        if (clientName == null) {
            return "audio";
        }
        String name = Normalizer.normalize(clientName, Normalizer.Form.NFC);
        int cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        name = name.substring(cut + 1);
        StringBuilder out = new StringBuilder(name.length());
        name.codePoints()
                .forEach(
                        cp -> {
                            boolean ok =
                                    Character.isLetterOrDigit(cp)
                                            || cp == '.'
                                            || cp == '-'
                                            || cp == '_'
                                            || cp == ' ';
                            out.appendCodePoint(ok ? cp : '_');
                        });
        String safe = out.toString().strip().replaceAll("_{2,}", "_").replaceAll("\\.{2,}", ".");
        safe = safe.replaceFirst("^[._\\- ]+", "");
        if (safe.toLowerCase(java.util.Locale.ROOT).endsWith(".tmp")) {
            safe = safe.substring(0, safe.length() - 4) + "_tmp";
        }
        if (safe.length() > MAX_LENGTH) {
            int dot = safe.lastIndexOf('.');
            String ext = dot > 0 && safe.length() - dot <= 10 ? safe.substring(dot) : "";
            safe = safe.substring(0, MAX_LENGTH - ext.length()) + ext;
        }
        return safe.isEmpty() ? "audio" : safe;
    }
}
