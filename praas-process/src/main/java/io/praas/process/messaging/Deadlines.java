package io.praas.process.messaging;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Timeouts of waiting receives and of requests to peers, checked by one daemon thread every
 * {@link #TICK_NANOS}: registering one is a set insertion, with no timer to schedule and no thread
 * to wake per message (which on a small machine costs as much as the message). Timeouts fire up to
 * one tick late.
 */
final class Deadlines {
    static final long TICK_NANOS = 5_000_000;

    /** Something that gives up at {@link #deadlineNanos()}. */
    interface Expiring {
        long deadlineNanos();

        /** Called once the deadline has passed (on the sweeper thread); must not block. */
        void expire();
    }

    private static final Set<Expiring> WATCHED = ConcurrentHashMap.newKeySet();

    static {
        Thread sweeper = new Thread(Deadlines::sweep, "praas-messaging-deadlines");
        sweeper.setDaemon(true);
        sweeper.start();
    }

    private Deadlines() {
    }

    static void watch(Expiring e) {
        WATCHED.add(e);
    }

    static void forget(Expiring e) {
        WATCHED.remove(e);
    }

    private static void sweep() {
        while (true) {
            LockSupport.parkNanos(TICK_NANOS);
            if (WATCHED.isEmpty()) {
                continue;
            }
            long now = System.nanoTime();
            for (Expiring e : WATCHED) {
                if (now - e.deadlineNanos() >= 0 && WATCHED.remove(e)) {
                    try {
                        e.expire();
                    } catch (RuntimeException ignored) {
                        // one failing callback does not stop the others' timeouts
                    }
                }
            }
        }
    }
}
