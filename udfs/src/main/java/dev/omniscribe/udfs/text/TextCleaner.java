package dev.omniscribe.udfs.text;

import java.util.regex.Pattern;

/**
 * Removes what the model adds around a transcript: chat markers and closing pleasantries.
 *
 * <p>The old service stripped {@code <|im_start|>assistant\n} and two closing sentences the model
 * tends to append to Chinese transcripts ("如果你还有其他关于音频转写或者内容理解的问题…", "如果你还有其他关于这方面的问题…"). Both are
 * matched in simplified and traditional characters, from the opening phrase to the end of that
 * sentence.
 */
public final class TextCleaner {

    // <|im_start|>, <|im_end|>, <|endoftext|>, <|AUDIO|>, <|audio_bos|>, ...
    private static final Pattern SPECIAL_TOKEN = Pattern.compile("<\\|[A-Za-z0-9_]+\\|>");

    // A role name left at the start once its marker is gone: "assistant\n".
    private static final Pattern LEADING_ROLE =
            Pattern.compile("^\\s*(?:assistant|system|user)[ \\t]*\\n");

    // The old service's closing pleasantries, in simplified and traditional characters, up to the
    // end of their sentence.
    private static final Pattern PLEASANTRY =
            Pattern.compile(
                    "如果你[还還]有其他[关關][于於](?:音[频頻][转轉][写寫](?:或者[内內]容理解)?|[这這]方面)的[问問][题題]"
                            + "[^。！？!?]*[。！？!?]?");

    private TextCleaner() {}

    /** The cleaned text: markers and pleasantries removed, surrounding whitespace trimmed. */
    public static String clean(String text) {
        if (text == null || text.isEmpty()) {
            return "";
        }
        String s = text;
        boolean hadMarker = SPECIAL_TOKEN.matcher(s).find();
        s = SPECIAL_TOKEN.matcher(s).replaceAll("");
        if (hadMarker) {
            s = LEADING_ROLE.matcher(s).replaceFirst("");
        }
        s = PLEASANTRY.matcher(s).replaceAll("");
        return s.strip();
    }
}
