package io.praas.bench;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A client that keeps a fixed number of requests in flight, issuing the next one as each
 * completes, until stopped. Completions are counted from any thread; subclasses issue requests
 * and report each outcome with {@link #succeeded()} and {@link #failed(Throwable)}.
 */
abstract class Pipeline implements AutoCloseable {
    private final LongAdder completed = new LongAdder();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    /** Requests outstanding; a subclass counts one up per slot it starts. */
    final AtomicInteger inFlight = new AtomicInteger();
    volatile boolean stopping;

    /** Issues the first requests; returns at once. */
    abstract void start();

    @Override
    public abstract void close();

    /** One request completed; true when the caller should issue the next one. */
    final boolean succeeded() {
        completed.increment();
        return releaseIfStopping();
    }

    /** One request failed: its slot is not reissued (a broken connection would otherwise spin). */
    final void failed(Throwable e) {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, e);
        inFlight.decrementAndGet();
    }

    /** False (and the slot released) once stopped. */
    final boolean releaseIfStopping() {
        if (stopping) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Requests completed so far (successfully). */
    final long completed() {
        return completed.sum();
    }

    /** Requests that failed so far. */
    final long failed() {
        return failed.get();
    }

    /** The first failure, or null. */
    final Throwable firstFailure() {
        return firstFailure.get();
    }

    /** Stops issuing new requests. */
    final void stop() {
        stopping = true;
    }

    /** Waits until no request is in flight; false if some still are after {@code timeoutMs}. */
    final boolean awaitDrained(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return inFlight.get() == 0;
    }
}
