package dev.omniscribe.udfs;

/** Transcript segments for tests. */
public final class TestSegments {

    private TestSegments() {}

    /** A segment of mixed channels whose speech fills it, as with speech detection off. */
    public static TranscriptSegment whole(int index, long startMs, long endMs, String text) {
        return new TranscriptSegment(
                index,
                startMs,
                endMs,
                text,
                Finish.STOP,
                null,
                0,
                new SpeechRegion[] {new SpeechRegion(startMs, endMs)});
    }
}
