package dev.omniscribe.udfs;

/**
 * One segment of a finished transcript.
 *
 * @param index position in the file, from 0
 * @param startMs start in the file, in milliseconds
 * @param endMs end in the file (exclusive), in milliseconds
 * @param text the segment's text
 * @param finish how its generation ended ({@link Finish#STOP} when not recorded)
 * @param retry how the retry of a segment cut for {@link Finish#MAX_TOKENS} or {@link
 *     Finish#REPETITION} ended, or null when it was not retried
 */
public record TranscriptSegment(
        int index, long startMs, long endMs, String text, Finish finish, Finish retry) {

    public TranscriptSegment {
        finish = finish == null ? Finish.STOP : finish;
    }

    /** A segment whose generation stopped by itself. */
    public TranscriptSegment(int index, long startMs, long endMs, String text) {
        this(index, startMs, endMs, text, Finish.STOP, null);
    }

    public TranscriptSegment withText(String newText) {
        return new TranscriptSegment(index, startMs, endMs, newText, finish, retry);
    }
}
