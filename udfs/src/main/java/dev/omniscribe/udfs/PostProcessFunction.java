package dev.omniscribe.udfs;

import dev.omniscribe.udfs.text.ChineseConversion;
import dev.omniscribe.udfs.text.TextCleaner;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * Cleans each segment's text: strips generation markers and the model's closing pleasantries
 * ({@link TextCleaner}), then applies the optional OpenCC conversion. Failed transcripts pass
 * unchanged.
 */
public final class PostProcessFunction implements MapFunction<FileTranscript, FileTranscript> {

    private final ChineseConversion conversion;

    public PostProcessFunction(ChineseConversion conversion) {
        this.conversion = conversion;
    }

    /** The cleaned and converted text of one segment. */
    public String process(String text) {
        return conversion.apply(TextCleaner.clean(text));
    }

    @Override
    public FileTranscript map(FileTranscript t) {
        if (t.failed()) {
            return t;
        }
        return t.mapText(this::process);
    }
}
