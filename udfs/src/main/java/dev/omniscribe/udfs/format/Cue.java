package dev.omniscribe.udfs.format;

/**
 * One subtitle cue.
 *
 * @param startMs start in the file, in milliseconds
 * @param endMs end in the file, in milliseconds
 * @param text one or two lines separated by {@code \n}
 */
public record Cue(long startMs, long endMs, String text) {}
