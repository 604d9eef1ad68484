package io.praas.process.state;

import io.praas.function.StateLimitExceededException;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of state held by one process across its process state and every session's state, and
 * the limit they may not pass.
 */
public final class StateBudget {
    private final long limitBytes;
    private final AtomicLong usedBytes = new AtomicLong();

    public StateBudget(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("state limit must be positive");
        }
        this.limitBytes = limitBytes;
    }

    /** Takes {@code delta} bytes (negative gives back). @throws StateLimitExceededException when over the limit */
    public void adjust(long delta) {
        if (delta <= 0) {
            usedBytes.addAndGet(delta);
            return;
        }
        while (true) {
            long used = usedBytes.get();
            long next = used + delta;
            if (next > limitBytes) {
                throw new StateLimitExceededException(limitBytes, next);
            }
            if (usedBytes.compareAndSet(used, next)) {
                return;
            }
        }
    }

    /** Takes {@code bytes} even past the limit: for what was accepted once and comes back (a message a receive did not keep). */
    public void force(long bytes) {
        usedBytes.addAndGet(bytes);
    }

    public long usedBytes() {
        return usedBytes.get();
    }

    public long limitBytes() {
        return limitBytes;
    }
}
