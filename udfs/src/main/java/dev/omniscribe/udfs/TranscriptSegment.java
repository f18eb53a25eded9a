package dev.omniscribe.udfs;

/**
 * One segment of a finished transcript.
 *
 * @param index position in the file, from 0
 * @param startMs start in the file, in milliseconds
 * @param endMs end in the file (exclusive), in milliseconds
 * @param text the segment's text
 */
public record TranscriptSegment(int index, long startMs, long endMs, String text) {

    public TranscriptSegment withText(String newText) {
        return new TranscriptSegment(index, startMs, endMs, newText);
    }
}
