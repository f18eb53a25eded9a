package dev.omniscribe.udfs;

/**
 * A stretch of one file's audio, or the marker that decoding that file failed.
 *
 * <p>Segments of a file carry indices 0, 1, 2, ... in time order and tile the file's audio exactly:
 * segment {@code i + 1} starts where segment {@code i} ends. The last record of a file has {@code
 * last} set, so its {@code index + 1} is the number of records of the file. A file whose decoding
 * fails ends with a record that has {@code error} set, no audio, and {@code last} set (segments
 * decoded before the failure keep their indices).
 *
 * <p>With speech detection or split channels, segments hold only speech and need not tile the file;
 * such a file's records end with an end record: no audio, no error, {@code startMs == endMs ==} the
 * file's duration, {@code last} set ({@link #end}). A file without speech has only that.
 *
 * @param fileId the file's full path, unique per file
 * @param relativePath the file's path below the input root
 * @param sizeBytes the file's size in bytes
 * @param index position of this record in the file, from 0
 * @param startMs start of the segment in the file, in milliseconds
 * @param endMs end of the segment in the file (exclusive), in milliseconds
 * @param pcm the segment's audio: 16 kHz mono signed 16-bit little-endian samples; empty for a
 *     failure record
 * @param last whether this is the file's last record
 * @param options how the file is transcribed
 * @param error why decoding failed, or null
 * @param channel 0 when the file's channels are mixed, else the channel (from 1) the audio is from
 * @param speech where speech lies in the segment (in the file, ms, in order); the whole segment
 *     when speech is not detected; empty for failure and end records
 */
public record SegmentRecord(
        String fileId,
        String relativePath,
        long sizeBytes,
        int index,
        long startMs,
        long endMs,
        byte[] pcm,
        boolean last,
        String error,
        FileOptions options,
        int channel,
        SpeechRegion[] speech) {

    /** Sample rate of {@link #pcm()} in Hz. */
    public static final int SAMPLE_RATE = 16_000;

    public static SegmentRecord failure(
            AudioFile file, FileOptions options, int index, String error) {
        return new SegmentRecord(
                file.path(),
                file.relativePath(),
                file.sizeBytes(),
                index,
                0,
                0,
                new byte[0],
                true,
                error,
                options,
                0,
                new SpeechRegion[0]);
    }

    /** The end record of a file whose segments hold only speech (see the class comment). */
    public static SegmentRecord end(
            AudioFile file, FileOptions options, int index, long durationMs) {
        return new SegmentRecord(
                file.path(),
                file.relativePath(),
                file.sizeBytes(),
                index,
                durationMs,
                durationMs,
                new byte[0],
                true,
                null,
                options,
                0,
                new SpeechRegion[0]);
    }

    /** Whether this record carries audio for the engine (not a failure, not an end record). */
    public boolean hasAudio() {
        return error == null && pcm.length > 0;
    }

    public boolean failed() {
        return error != null;
    }

    /** Number of samples in {@link #pcm()}. */
    public int sampleCount() {
        return pcm.length / 2;
    }

    /** The samples as floats in [-1, 1), as the engine takes them. */
    public float[] samples() {
        float[] out = new float[pcm.length / 2];
        for (int i = 0; i < out.length; i++) {
            int lo = pcm[2 * i] & 0xff;
            int hi = pcm[2 * i + 1];
            out[i] = (short) ((hi << 8) | lo) / 32768f;
        }
        return out;
    }
}
