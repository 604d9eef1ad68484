package io.praas.process;

import io.praas.concurrent.Sweeps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Timeouts of a process (invocations, waiting receives, requests to peers), kept by one daemon
 * thread: registering one is a set insertion, with no timer to schedule and no thread to wake per
 * invocation or message (which on a small machine costs as much as the invocation).
 *
 * <p>The thread sleeps until the earliest deadline it holds (at most {@link #MAX_SLEEP_NANOS}), and
 * a new deadline wakes it only when it is earlier than that. So a process whose receives wait for
 * minutes, or an idle one, is not woken every few milliseconds, and a timeout fires at its
 * deadline (give or take the scheduler's wake-up).
 */
public final class Deadlines {
    private static final Logger LOG = LoggerFactory.getLogger(Deadlines.class);
    /** Longest sleep with nothing due: how often an idle process's sweeper wakes. */
    static final long MAX_SLEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Something that gives up at {@link #deadlineNanos()}. */
    public interface Expiring {
        long deadlineNanos();

        /**
         * Called once the deadline has passed, on a timeout thread (not the sweeper's): it may
         * complete futures whose callbacks run user code, and a callback that blocks holds up no
         * other timeout.
         */
        void expire();
    }

    private static final Set<Expiring> WATCHED = ConcurrentHashMap.newKeySet();
    /** Threads that run expiries at most; past that (callbacks that block) the sweeper runs them. */
    static final int MAX_EXPIRY_THREADS = 16;
    private static final Sweeps.Sweeper SWEEPER = new Sweeps.Sweeper("praas-deadlines", MAX_SLEEP_NANOS,
            MAX_EXPIRY_THREADS, Deadlines::scan);

    private Deadlines() {
    }

    public static void watch(Expiring e) {
        WATCHED.add(e);
        SWEEPER.due(e.deadlineNanos()); // after the add
    }

    public static void forget(Expiring e) {
        WATCHED.remove(e);
    }

    private static void expire(Expiring e) {
        try {
            e.expire();
        } catch (Throwable t) { // one failing callback does not stop the others' timeouts
            LOG.error("a timeout's callback failed", t);
        }
    }

    private static long scan(long now, long next) {
        return Sweeps.scan(WATCHED, Expiring::deadlineNanos, WATCHED::remove, e -> SWEEPER.expire(() -> expire(e)),
                now, next);
    }
}
