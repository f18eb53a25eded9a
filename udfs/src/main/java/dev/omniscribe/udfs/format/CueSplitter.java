package dev.omniscribe.udfs.format;

import dev.omniscribe.udfs.TranscriptSegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a segment's text into readable subtitle cues.
 *
 * <p>A cue holds at most two lines of at most 42 characters (a CJK character counts as 42/16 of a
 * character, so a line holds 16 of them) and lasts at most about 7 s. Cues end at sentence ends,
 * and a full cue backs up to the last clause punctuation in its second half. The segment's speech
 * time (its {@link TranscriptSegment#speech()} regions, pauses left out) is shared out among its
 * cues by text length, so a cue never starts in a pause and cues never cross the segment's bounds;
 * a single word that would last longer than 7 s is shown for 7 s. Cues of a channel (split
 * channels) start with its label, {@code [ch1]}, and the cues of all channels are merged by start
 * time.
 */
public final class CueSplitter {

    /** Widest line, in Latin characters. */
    public static final double LINE_WIDTH = 42;

    /** Width of one CJK character, so that a line holds 16 of them. */
    public static final double CJK_WIDTH = LINE_WIDTH / 16;

    public static final int MAX_LINES = 2;

    /** Longest cue, in milliseconds. */
    public static final long MAX_CUE_MS = 7_000;

    /** Text narrower than this (half a line) is never split to shorten a cue. */
    static final double MIN_SPLIT_WIDTH = LINE_WIDTH / 2;

    /** Extra width a line break away from punctuation is charged when balancing two lines. */
    static final double NON_PUNCTUATION_BREAK_COST = 10;

    private CueSplitter() {}

    /** The cues of one segment, in time order; none if its text is blank. */
    public static List<Cue> split(TranscriptSegment segment) {
        List<Token> tokens = tokenize(segment.text());
        if (tokens.isEmpty()) {
            return List.of();
        }
        List<List<Token>> groups = packByText(tokens);
        SpeechTime speech = SpeechTime.of(segment);
        groups = splitLongGroups(groups, speech.totalMs(), totalWeight(tokens));
        return timed(groups, speech);
    }

    /**
     * All cues of a transcript's segments, by start time (segments of one channel never overlap, so
     * each channel's cues keep their order); a channel's cues start with its label.
     */
    public static List<Cue> split(TranscriptSegment[] segments) {
        List<Cue> cues = new ArrayList<>();
        for (TranscriptSegment s : segments) {
            for (Cue c : split(s)) {
                cues.add(
                        s.channel() == 0
                                ? c
                                : new Cue(c.startMs(), c.endMs(), label(s) + c.text()));
            }
        }
        cues.sort(java.util.Comparator.comparingLong(Cue::startMs));
        return cues;
    }

    /** {@code [ch1] } for channel 1; empty when channels are mixed. */
    public static String label(TranscriptSegment s) {
        return s.channel() == 0 ? "" : "[ch" + s.channel() + "] ";
    }

    // A segment's speech regions laid end to end: time of speech (pauses left out) to file time.
    private record SpeechTime(long[] starts, long[] ends, long totalMs) {

        static SpeechTime of(TranscriptSegment segment) {
            var regions = segment.speech();
            if (regions == null || regions.length == 0) {
                return new SpeechTime(
                        new long[] {segment.startMs()},
                        new long[] {segment.endMs()},
                        segment.endMs() - segment.startMs());
            }
            long[] starts = new long[regions.length];
            long[] ends = new long[regions.length];
            long total = 0;
            for (int i = 0; i < regions.length; i++) {
                starts[i] = regions[i].startMs();
                ends[i] = regions[i].endMs();
                total += ends[i] - starts[i];
            }
            return new SpeechTime(starts, ends, total);
        }

        // File time of speech time t; at a border between two regions, a start is placed at the
        // next region's start, an end at the previous region's end.
        long fileMs(long t, boolean start) {
            long acc = 0;
            for (int i = 0; i < starts.length; i++) {
                long d = ends[i] - starts[i];
                if (t < acc + d || (!start && t == acc + d) || i == starts.length - 1) {
                    return Math.min(ends[i], starts[i] + (t - acc));
                }
                acc += d;
            }
            return ends[ends.length - 1];
        }
    }

    // A word (Latin) or a character (CJK), with the punctuation that follows it.
    private record Token(String text, double width, boolean spaceBefore, int breakAfter) {}

    private static List<Token> tokenize(String text) {
        List<Token> tokens = new ArrayList<>();
        if (text == null) {
            return tokens;
        }
        StringBuilder word = new StringBuilder();
        double wordWidth = 0;
        boolean space = false;
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            if (Character.isWhitespace(cp)) {
                if (word.length() > 0) {
                    addWord(tokens, word.toString(), wordWidth, space);
                    word.setLength(0);
                    wordWidth = 0;
                }
                space = !tokens.isEmpty();
            } else if (isCjk(cp)) {
                if (word.length() > 0) {
                    addWord(tokens, word.toString(), wordWidth, space);
                    word.setLength(0);
                    wordWidth = 0;
                    space = false;
                }
                if (isCjkPunctuation(cp) && !tokens.isEmpty()) {
                    // Punctuation sticks to the character before it.
                    Token prev = tokens.remove(tokens.size() - 1);
                    String joined = prev.text() + new String(Character.toChars(cp));
                    tokens.add(
                            new Token(
                                    joined,
                                    prev.width() + CJK_WIDTH,
                                    prev.spaceBefore(),
                                    breakStrength(cp)));
                } else {
                    tokens.add(
                            new Token(
                                    new String(Character.toChars(cp)),
                                    CJK_WIDTH,
                                    space,
                                    breakStrength(cp)));
                }
                space = false;
            } else {
                word.appendCodePoint(cp);
                wordWidth += 1;
            }
            i += n;
        }
        if (word.length() > 0) {
            addWord(tokens, word.toString(), wordWidth, space);
        }
        return tokens;
    }

    private static Token token(String word, double width, boolean spaceBefore) {
        int last = word.codePointBefore(word.length());
        return new Token(word, width, spaceBefore, breakStrength(last));
    }

    // Adds a word, cut into pieces of one line's width if it is longer than a line.
    private static void addWord(List<Token> tokens, String word, double width, boolean space) {
        if (width <= LINE_WIDTH) {
            tokens.add(token(word, width, space));
            return;
        }
        int[] cps = word.codePoints().toArray();
        for (int from = 0; from < cps.length; from += (int) LINE_WIDTH) {
            int to = Math.min(cps.length, from + (int) LINE_WIDTH);
            tokens.add(token(new String(cps, from, to - from), to - from, from == 0 && space));
        }
    }

    private static int breakStrength(int cp) {
        return switch (cp) {
            case '.', '!', '?', '。', '！', '？', '…' -> 2;
            case ',', ';', ':', '，', '、', '；', '：' -> 1;
            default -> 0;
        };
    }

    private static boolean isCjk(int cp) {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        return script == Character.UnicodeScript.HAN
                || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA
                || script == Character.UnicodeScript.HANGUL
                || isCjkPunctuation(cp);
    }

    private static boolean isCjkPunctuation(int cp) {
        return (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFFEF);
    }

    // Fills cues with tokens up to two lines, closing at sentence ends.
    private static List<List<Token>> packByText(List<Token> tokens) {
        List<List<Token>> groups = new ArrayList<>();
        List<Token> current = new ArrayList<>();
        for (Token t : tokens) {
            current.add(t);
            if (current.size() > 1 && wrap(current) == null) {
                current.remove(current.size() - 1);
                int cut = lastBreakInSecondHalf(current);
                List<Token> tail = new ArrayList<>(current.subList(cut, current.size()));
                groups.add(new ArrayList<>(current.subList(0, cut)));
                current = tail;
                current.add(t);
                while (current.size() > 1 && wrap(current) == null) {
                    groups.add(new ArrayList<>(current.subList(0, current.size() - 1)));
                    current = new ArrayList<>(List.of(t));
                }
            }
            if (t.breakAfter() == 2) {
                groups.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            groups.add(current);
        }
        return groups;
    }

    // Index after the last clause or sentence break in the second half, else the full size.
    private static int lastBreakInSecondHalf(List<Token> group) {
        for (int i = group.size() - 1; i >= (group.size() + 1) / 2; i--) {
            if (group.get(i - 1).breakAfter() > 0) {
                return i;
            }
        }
        return group.size();
    }

    // Splits cues that would last longer than MAX_CUE_MS, nearest the middle, at punctuation if
    // any.
    private static List<List<Token>> splitLongGroups(
            List<List<Token>> groups, long durationMs, double totalWeight) {
        List<List<Token>> out = new ArrayList<>();
        List<List<Token>> work = new ArrayList<>(groups);
        while (!work.isEmpty()) {
            List<Token> g = work.remove(0);
            double ms = durationMs * totalWeight(g) / totalWeight;
            // Short text over a long stretch is shown for MAX_CUE_MS rather than cut into words.
            if (ms <= MAX_CUE_MS || g.size() < 2 || totalWeight(g) < MIN_SPLIT_WIDTH) {
                out.add(g);
                continue;
            }
            int cut = bestCutNearMiddle(g);
            work.add(0, new ArrayList<>(g.subList(cut, g.size())));
            work.add(0, new ArrayList<>(g.subList(0, cut)));
        }
        return out;
    }

    private static int bestCutNearMiddle(List<Token> g) {
        double half = totalWeight(g) / 2;
        int best = -1;
        double bestScore = Double.MAX_VALUE;
        double acc = 0;
        for (int i = 1; i < g.size(); i++) {
            acc += g.get(i - 1).width();
            // Distance from the middle, halved for a clause break, quartered for a sentence end.
            double score = Math.abs(acc - half) / (1 << g.get(i - 1).breakAfter());
            if (score < bestScore) {
                bestScore = score;
                best = i;
            }
        }
        return best;
    }

    private static List<Cue> timed(List<List<Token>> groups, SpeechTime speech) {
        double total = 0;
        for (List<Token> g : groups) {
            total += totalWeight(g);
        }
        List<Cue> cues = new ArrayList<>(groups.size());
        double acc = 0;
        long duration = speech.totalMs();
        for (int i = 0; i < groups.size(); i++) {
            List<Token> g = groups.get(i);
            long s = speech.fileMs(Math.round(duration * acc / total), true);
            acc += totalWeight(g);
            long e =
                    speech.fileMs(
                            i == groups.size() - 1 ? duration : Math.round(duration * acc / total),
                            false);
            e = Math.min(e, s + MAX_CUE_MS);
            cues.add(new Cue(s, e, String.join("\n", wrapOrOverflow(g))));
        }
        return cues;
    }

    private static double totalWeight(List<Token> tokens) {
        double w = 0;
        for (Token t : tokens) {
            w += t.width();
        }
        return w;
    }

    // The group on one line, or on two balanced lines; null if it does not fit in two.
    private static List<String> wrap(List<Token> g) {
        if (width(g, 0, g.size()) <= LINE_WIDTH) {
            return List.of(line(g, 0, g.size()));
        }
        // Balanced lines, preferring a break after punctuation.
        int best = -1;
        double bestScore = Double.MAX_VALUE;
        for (int i = 1; i < g.size(); i++) {
            double a = width(g, 0, i);
            double b = width(g, i, g.size());
            double score =
                    Math.max(a, b)
                            + (g.get(i - 1).breakAfter() > 0 ? 0 : NON_PUNCTUATION_BREAK_COST);
            if (a <= LINE_WIDTH && b <= LINE_WIDTH && score < bestScore) {
                bestScore = score;
                best = i;
            }
        }
        if (best < 0) {
            return null;
        }
        return List.of(line(g, 0, best), line(g, best, g.size()));
    }

    // A single over-long word overflows its line rather than being cut.
    private static List<String> wrapOrOverflow(List<Token> g) {
        List<String> lines = wrap(g);
        return lines != null ? lines : List.of(line(g, 0, g.size()));
    }

    private static double width(List<Token> g, int from, int to) {
        double w = 0;
        for (int i = from; i < to; i++) {
            Token t = g.get(i);
            w += t.width() + (i > from && t.spaceBefore() ? 1 : 0);
        }
        return w;
    }

    private static String line(List<Token> g, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            Token t = g.get(i);
            if (i > from && t.spaceBefore()) {
                sb.append(' ');
            }
            sb.append(t.text());
        }
        return sb.toString();
    }
}
