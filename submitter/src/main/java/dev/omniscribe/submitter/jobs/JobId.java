package dev.omniscribe.submitter.jobs;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Unguessable job ids: 128 random bits from {@link SecureRandom}, as 32 lower-case hex digits. */
public final class JobId {

    private static final Pattern FORMAT = Pattern.compile("[0-9a-f]{32}");

    private final SecureRandom random = new SecureRandom();

    /** A fresh id. */
    public String next() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Whether a string from a request has the form of a job id; anything else (a path, a traversal)
     * never reaches a lookup or the file system.
     */
    public static boolean isWellFormed(String candidate) {
        return candidate != null && FORMAT.matcher(candidate).matches();
    }
}
