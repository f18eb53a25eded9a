package dev.omniscribe.udfs;

import dev.omniscribe.udfs.text.ChineseConversion;
import dev.omniscribe.udfs.text.TextCleaner;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * Cleans each segment's text: strips generation markers and the model's closing pleasantries
 * ({@link TextCleaner}), then applies the file's OpenCC conversion ({@link FileOptions}). Failed
 * transcripts pass unchanged.
 */
public final class PostProcessFunction implements MapFunction<FileTranscript, FileTranscript> {

    /** The cleaned and converted text of one segment. */
    public static String process(String text, ChineseConversion conversion) {
        return conversion.apply(TextCleaner.clean(text));
    }

    @Override
    public FileTranscript map(FileTranscript t) {
        if (t.failed()) {
            return t;
        }
        ChineseConversion conversion = t.options().conversion();
        return t.mapText(text -> process(text, conversion));
    }
}
