package dev.omniscribe.udfs;

/**
 * One segment of a finished transcript.
 *
 * @param index position in the file, from 0
 * @param startMs start in the file, in milliseconds
 * @param endMs end in the file (exclusive), in milliseconds
 * @param text the segment's text
 * @param channel 0 when the file's channels were mixed, else the channel (from 1)
 * @param speech where speech lies in the segment (in the file, ms, in order); cues are placed there
 */
public record TranscriptSegment(
        int index, long startMs, long endMs, String text, int channel, SpeechRegion[] speech) {

    public TranscriptSegment withText(String newText) {
        return new TranscriptSegment(index, startMs, endMs, newText, channel, speech);
    }
}
