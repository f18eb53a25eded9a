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
        FileOptions options) {

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
                options);
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
