package io.praas.concurrent;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the timeout sweepers of the SDK's clients and of a process share: the time a sweeper wakes
 * next, which only a scan raises and anything due earlier lowers, and the pool that runs their
 * expiries off the sweeper.
 *
 * <pre>{@code
 * Sweeps.WakeUp wakeUp = new Sweeps.WakeUp();
 * if (wakeUp.lowerTo(deadlineNanos)) {
 *     LockSupport.unpark(sweeper);
 * }
 * }</pre>
 */
public final class Sweeps {
    private Sweeps() {
    }

    /** When a sweeper wakes next, as System.nanoTime. */
    public static final class WakeUp {
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
     * A pool for expiries: daemon threads named {@code threadName}, at most {@code maxThreads}; with
     * that many held (by callbacks that block), the caller (the sweeper) runs the next one itself.
     */
    public static ExecutorService expiryPool(String threadName, int maxThreads) {
        return new ThreadPoolExecutor(0, maxThreads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
    }
}
