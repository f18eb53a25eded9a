package dev.omniscribe.udfs.audio;

/** A file that ffmpeg cannot turn into audio: empty, corrupt, not media, or no audio stream. */
public final class DecodeException extends Exception {

    public DecodeException(String message) {
        super(message);
    }

    public DecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
