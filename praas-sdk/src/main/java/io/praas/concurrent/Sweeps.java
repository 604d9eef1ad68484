package io.praas.concurrent;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The timeout sweeper that the SDK's clients and a process share: one daemon thread that scans what
 * it watches, sleeps until the earliest deadline left (at most its longest sleep), and is woken
 * when something is due earlier than that; expiries run on a pool of their own, so that code
 * chained on one (a callback that blocks) holds up no other.
 *
 * <pre>{@code
 * Sweeps.Sweeper sweeper = new Sweeps.Sweeper("praas-deadlines", TimeUnit.SECONDS.toNanos(1), 16,
 *         (now, next) -> { ...expire what is due through sweeper.expire(...); return earliest left... });
 * watched.add(x);
 * sweeper.due(x.deadlineNanos()); // after the add
 * }</pre>
 */
public final class Sweeps {
    private Sweeps() {
    }

    /** When a sweeper wakes next, as System.nanoTime. */
    static final class WakeUp {
        private final AtomicLong at = new AtomicLong(System.nanoTime());

        /** Sets it (a sweeper before its scan: to its longest sleep). */
        public void set(long nanos) {
            at.set(nanos);
        }

        public long get() {
            return at.get();
        }

        /** Moves it to {@code nanos} if that is earlier; returns whether it did (then wake the sweeper). */
        public boolean lowerTo(long nanos) {
            long w;
            while ((w = at.get()) - nanos > 0) {
                if (at.compareAndSet(w, nanos)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * One thread that keeps deadlines. The wake-up is set to the longest sleep before each scan and
     * only ever lowered: by the scan's earliest deadline, and by {@link #due} for something due
     * earlier (which then unparks the thread). A deadline the scan missed is either later than the
     * wake-up or lowers it; one the scan saw wakes the thread only if it lowers it too.
     */
    public static final class Sweeper {
        /** One scan at {@code nowNanos}: expire what is due, return the earliest deadline left, or {@code nextNanos}. */
        public interface Scan {
            long scan(long nowNanos, long nextNanos);
        }

        private final WakeUp wakeUp = new WakeUp();
        private final long maxSleepNanos;
        private final Scan scan;
        private final ExecutorService expiries;
        private final Thread thread;

        /**
         * Starts the thread {@code name}; expiries run on up to {@code maxExpiryThreads} threads
         * ({@code name}-timeout), and on the sweeper itself when they are all held.
         */
        public Sweeper(String name, long maxSleepNanos, int maxExpiryThreads, Scan scan) {
            this.maxSleepNanos = maxSleepNanos;
            this.scan = scan;
            this.expiries = expiryPool(name + "-timeout", maxExpiryThreads);
            this.thread = new Thread(this::run, name);
            thread.setDaemon(true);
            thread.start();
        }

        /** Something was put among the watched with this deadline (call it after the put). */
        public void due(long deadlineNanos) {
            if (wakeUp.lowerTo(deadlineNanos)) {
                LockSupport.unpark(thread);
            }
        }

        /** Runs an expiry off the sweeper (or on it, once, when no pool thread can be had). */
        public void expire(Runnable expiry) {
            try {
                expiries.execute(expiry);
            } catch (java.util.concurrent.RejectedExecutionException | OutOfMemoryError full) {
                expiry.run(); // every thread is held, or none can be started
            }
        }

        /** Makes the thread scan now (tests: it then sleeps its longest, with nothing due). */
        public void scanNow() {
            LockSupport.unpark(thread);
        }

        private void run() {
            while (true) {
                long now = System.nanoTime();
                wakeUp.set(now + maxSleepNanos); // before the scan (see the class comment)
                long next = now + maxSleepNanos;
                try {
                    next = scan.scan(now, next);
                } catch (Throwable e) {
                    // what one scan could not do stops no later one (its deadlines wake it by the longest sleep)
                }
                wakeUp.lowerTo(next);
                Thread.interrupted(); // a stray interrupt would make every park return at once
                long sleep = wakeUp.get() - System.nanoTime();
                if (sleep > 0) {
                    LockSupport.parkNanos(sleep);
                }
            }
        }
    }

    /**
     * A pool for expiries: daemon threads named {@code threadName}, at most {@code maxThreads}; with
     * that many held (by callbacks that block), it refuses the next one, which the sweeper then runs.
     */
    private static ExecutorService expiryPool(String threadName, int maxThreads) {
        return new ThreadPoolExecutor(0, maxThreads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        }); // full: execute refuses, and Sweeper.expire runs the expiry itself
    }

    /**
     * One pass over {@code watched} at {@code nowNanos}: each item whose deadline has passed and that
     * {@code claim} takes (removes, so no other pass expires it too) goes to {@code expire}; returns
     * the earliest deadline of those left, or {@code nextNanos} if that is earlier.
     */
    public static <T> long scan(Iterable<T> watched, java.util.function.ToLongFunction<T> deadline,
                                java.util.function.Predicate<T> claim, java.util.function.Consumer<T> expire,
                                long nowNanos, long nextNanos) {
        for (T item : watched) {
            long d = deadline.applyAsLong(item);
            if (nowNanos - d >= 0) {
                if (claim.test(item)) {
                    expire.accept(item);
                }
            } else if (d - nextNanos < 0) {
                nextNanos = d;
            }
        }
        return nextNanos;
    }
}
