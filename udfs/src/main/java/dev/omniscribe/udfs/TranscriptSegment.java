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
 * @param channel 0 when the file's channels were mixed, else the channel (from 1)
 * @param speech where speech lies in the segment (in the file, ms, in order); cues are placed
 *     there; null means the whole segment
 */
public record TranscriptSegment(
        int index,
        long startMs,
        long endMs,
        String text,
        Finish finish,
        Finish retry,
        int channel,
        SpeechRegion[] speech) {

    public TranscriptSegment {
        finish = finish == null ? Finish.STOP : finish;
        speech = speech == null ? new SpeechRegion[] {new SpeechRegion(startMs, endMs)} : speech;
    }

    /** A segment of mixed channels, speech throughout, whose generation stopped by itself. */
    public TranscriptSegment(int index, long startMs, long endMs, String text) {
        this(index, startMs, endMs, text, Finish.STOP, null, 0, null);
    }

    public TranscriptSegment withText(String newText) {
        return new TranscriptSegment(
                index, startMs, endMs, newText, finish, retry, channel, speech);
    }
}
