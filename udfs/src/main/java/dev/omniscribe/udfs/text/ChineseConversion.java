package dev.omniscribe.udfs.text;

import com.github.houbb.opencc4j.util.ZhConverterUtil;
import com.github.houbb.opencc4j.util.ZhHkConverterUtil;
import com.github.houbb.opencc4j.util.ZhTwConverterUtil;
import java.util.Locale;

/** OpenCC conversions between Chinese scripts (opencc4j), named as OpenCC names them. */
public enum ChineseConversion {
    /** Leave the text as the model wrote it. */
    NONE,
    /** Simplified → Traditional (the old service's {@code --s2t}). */
    S2T,
    /** Traditional → Simplified. */
    T2S,
    /** Simplified → Traditional, Taiwan standard. */
    S2TW,
    /** Simplified → Traditional, Hong Kong standard. */
    S2HK;

    public String apply(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        return switch (this) {
            case NONE -> text;
            case S2T -> ZhConverterUtil.toTraditional(text);
            case T2S -> ZhConverterUtil.toSimple(text);
            case S2TW -> ZhTwConverterUtil.toTraditional(text);
            case S2HK -> ZhHkConverterUtil.toTraditional(text);
        };
    }

    /** Parses an OpenCC name such as {@code s2t}; {@code none} disables conversion. */
    public static ChineseConversion parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "unknown Chinese conversion '"
                            + name
                            + "'; use one of none, s2t, t2s, s2tw, s2hk");
        }
    }
}
