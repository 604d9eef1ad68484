package io.praas.process.state;

import io.praas.client.PraasException;
import io.praas.function.StateLimitExceededException;
import io.praas.protocol.ErrorCode;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of state held by one process across its process state and every session's state, and
 * the limit they may not pass; and whether its stores take writes: a swap-out {@linkplain #seal
 * seals} them, so that a function still running after the drain (its caller was told
 * PROCESS_UNAVAILABLE) cannot change state while the snapshot reads it, nor after it.
 */
public final class StateBudget {
    private final long limitBytes;
    private final AtomicLong usedBytes = new AtomicLong();
    /** Writes between {@link #beginWrite} and {@link #endWrite}. */
    private final AtomicInteger writing = new AtomicInteger();
    private volatile String sealedBecause;
    /** While state comes back (a snapshot's restore, a journal's replay): counted, not limited. */
    private volatile boolean restoring;

    public StateBudget(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("state limit must be positive");
        }
        this.limitBytes = limitBytes;
    }

    /** Takes {@code delta} bytes (negative gives back). @throws StateLimitExceededException when over the limit */
    public void adjust(long delta) {
        if (delta <= 0 || restoring) {
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

    /**
     * While {@code on}, every change is counted but none refused: what a snapshot or a journal brings
     * back was accepted once, and a replay may pass the limit on its way where the writes it repeats
     * did not (a journal records a session's closing after the bytes it freed were taken again), or
     * the limit may have been lowered since. Writes after it are refused until enough is freed.
     */
    public void restoring(boolean on) {
        restoring = on;
    }

    /** Takes {@code bytes} even past the limit: for what was accepted once and comes back (a message a receive did not keep). */
    public void force(long bytes) {
        usedBytes.addAndGet(bytes);
    }

    /**
     * Admits one write of a store (ended by {@link #endWrite}).
     *
     * @throws PraasException PROCESS_UNAVAILABLE while sealed; the store stays unchanged
     */
    void beginWrite() {
        writing.incrementAndGet();
        String why = sealedBecause;
        if (why != null) {
            writing.decrementAndGet();
            throw new PraasException(ErrorCode.PROCESS_UNAVAILABLE, why);
        }
    }

    /**
     * Admits one change the runtime makes itself (a session's expiry), as {@link #beginWrite} but
     * false instead of throwing while sealed; if true, end it with {@link #endWrite}.
     */
    public boolean tryBeginWrite() {
        writing.incrementAndGet();
        if (sealedBecause != null) {
            writing.decrementAndGet();
            return false;
        }
        return true;
    }

    public void endWrite() {
        writing.decrementAndGet();
    }

    /**
     * Refuses writes from now on (they throw PROCESS_UNAVAILABLE saying {@code why}) and waits up to
     * {@code wait} for those under way to end. True when none is under way any more: what the stores
     * hold now stays as it is until {@link #unseal}. False when one still runs (a {@code compute}
     * whose update does not return); the stores stay sealed.
     */
    public boolean seal(String why, Duration wait) throws InterruptedException {
        sealedBecause = why;
        long deadline = System.nanoTime() + wait.toNanos();
        while (writing.get() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** Takes writes again (a swap-out failed). */
    public void unseal() {
        sealedBecause = null;
    }

    public long usedBytes() {
        return usedBytes.get();
    }

    public long limitBytes() {
        return limitBytes;
    }
}
