package dev.omniscribe.udfs.audio;

/** Cuts a stream of 16 kHz mono s16le PCM into segments as the audio arrives. */
public interface AudioSegmenter {

    /** Adds PCM bytes; emits every segment that can be cut. An odd trailing byte is kept. */
    void accept(byte[] data, int offset, int length);

    /** Emits what remains to be emitted and returns the total samples read. */
    long finish();
}
