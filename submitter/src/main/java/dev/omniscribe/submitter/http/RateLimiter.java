package dev.omniscribe.submitter.http;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits submissions (POST requests) per client address with a token bucket: a client may send
 * {@code perMinute} requests at once and then one every {@code 60 / perMinute} seconds. Over the
 * limit: 429 with {@code Retry-After} (seconds). Status, result and health requests are not
 * limited. A before-handler.
 */
final class RateLimiter {

    private static final int MAX_TRACKED_CLIENTS = 10_000;

    private final double capacity;
    private final double tokensPerMs;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimiter(int perMinute, Clock clock) {
        this.capacity = perMinute;
        this.tokensPerMs = perMinute / 60_000.0;
        this.clock = clock;
    }

    void check(Context ctx) {
        if (ctx.method() != HandlerType.POST) {
            return;
        }
        long now = clock.millis();
        if (buckets.size() > MAX_TRACKED_CLIENTS) {
            buckets.values().removeIf(b -> b.isFullAt(now));
        }
        Bucket bucket = buckets.computeIfAbsent(ctx.ip(), ip -> new Bucket(now));
        long waitMs = bucket.take(now);
        if (waitMs > 0) {
            long seconds = Math.max(1, (waitMs + 999) / 1000);
            throw ApiErrors.tooManyRequests(
                    "too many requests from this client; retry in " + seconds + " s", seconds);
        }
    }

    private final class Bucket {
        private double tokens = capacity;
        private long updatedMs;

        Bucket(long now) {
            this.updatedMs = now;
        }

        /** Takes a token; returns 0, or how long until one is there in milliseconds. */
        synchronized long take(long now) {
            refill(now);
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / tokensPerMs);
        }

        synchronized boolean isFullAt(long now) {
            refill(now);
            return tokens >= capacity;
        }

        private void refill(long now) {
            tokens = Math.min(capacity, tokens + (now - updatedMs) * tokensPerMs);
            updatedMs = now;
        }
    }
}
