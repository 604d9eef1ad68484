package io.praas.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

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
    /** When the sweeper wakes next (System.nanoTime); read only while {@link #scanning} is false. */
    private static volatile long nextWake;
    /** True while the sweeper looks through the set: a deadline added meanwhile wakes it again. */
    private static volatile boolean scanning = true;
    private static final Thread SWEEPER = new Thread(Deadlines::sweep, "praas-deadlines");
    /** Runs the expiries: timeouts are rare, and their callbacks must not stall the sweeper. */
    private static final ExecutorService EXPIRIES = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "praas-timeout");
        t.setDaemon(true);
        return t;
    });

    static {
        SWEEPER.setDaemon(true);
        SWEEPER.start();
    }

    private Deadlines() {
    }

    public static void watch(Expiring e) {
        WATCHED.add(e);
        // After the add: a sweeper past its scan has published nextWake before clearing scanning.
        if (scanning || e.deadlineNanos() - nextWake < 0) {
            LockSupport.unpark(SWEEPER);
        }
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

    private static void sweep() {
        while (true) {
            scanning = true;
            long now = System.nanoTime();
            long next = now + MAX_SLEEP_NANOS;
            for (Expiring e : WATCHED) {
                long deadline = e.deadlineNanos();
                if (now - deadline >= 0) {
                    if (WATCHED.remove(e)) {
                        EXPIRIES.execute(() -> expire(e));
                    }
                } else if (deadline - next < 0) {
                    next = deadline;
                }
            }
            nextWake = next;
            scanning = false;
            Thread.interrupted(); // a stray interrupt would make every park below return at once
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                LockSupport.parkNanos(sleep); // an earlier deadline's watch() unparks it
            }
        }
    }
}
