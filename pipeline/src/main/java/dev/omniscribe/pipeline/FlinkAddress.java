package dev.omniscribe.pipeline;

/**
 * Where a Flink session cluster's REST endpoint listens.
 *
 * @param host host name or address
 * @param port REST port (Flink's default is 8081)
 */
public record FlinkAddress(String host, int port) {

    public FlinkAddress {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the Flink address needs a host, as host:port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the Flink port must be 1..65535, got " + port);
        }
    }

    /** Parses {@code host:port} (an IPv6 host in brackets: {@code [::1]:8081}). */
    public static FlinkAddress parse(String text) {
        String t = text == null ? "" : text.strip();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException(
                    "the Flink address must be host:port (the REST endpoint), got '" + text + "'");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new FlinkAddress(host, Integer.parseInt(t.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "the Flink address must be host:port with a numeric port, got '" + text + "'");
        }
    }
}
