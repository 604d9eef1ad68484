package io.praas.bench;

import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Pipelined no-op invokes through PraaS: one {@link ProcessClient}, {@code sessions} sessions,
 * each with {@code window} {@code invokeAsync} calls in flight; each completion issues the next
 * invoke from the completing thread (the client's event loop).
 */
final class PraasPipeline implements Pipeline {
    private final ProcessClient client;
    private final List<ProcessSession> sessions = new ArrayList<>();
    private final int window;
    private final String function;
    private final byte[] payload;
    private final LongAdder completed = new LongAdder();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;

    PraasPipeline(String host, int port, int sessionCount, int window, String function, byte[] payload) {
        this.client = ProcessClient.builder().address(host, port).application("samples").connect();
        this.window = window;
        this.function = function;
        this.payload = payload;
        try {
            for (int i = 0; i < sessionCount; i++) {
                sessions.add(client.openSession());
            }
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The id of one session (all are the same length), to size the baseline's frames alike. */
    String sessionId() {
        return sessions.get(0).id();
    }

    @Override
    public void start() {
        for (ProcessSession s : sessions) {
            for (int i = 0; i < window; i++) {
                inFlight.incrementAndGet();
                issue(s);
            }
        }
    }

    private void issue(ProcessSession s) {
        if (stopping) {
            inFlight.decrementAndGet();
            return;
        }
        s.invokeAsync(function, payload).whenComplete((out, err) -> {
            if (err == null) {
                completed.increment();
                issue(s);
            } else {
                // A failed slot is not reissued: a broken connection would otherwise spin.
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, err);
                inFlight.decrementAndGet();
            }
        });
    }

    @Override
    public long completed() {
        return completed.sum();
    }

    @Override
    public long failed() {
        return failed.get();
    }

    @Override
    public Throwable firstFailure() {
        return firstFailure.get();
    }

    @Override
    public void stop() {
        stopping = true;
    }

    @Override
    public boolean awaitDrained(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return inFlight.get() == 0;
    }

    /** Closes the sessions (best effort: they would otherwise idle on the process) and the connection. */
    @Override
    public void close() {
        try {
            for (ProcessSession s : sessions) {
                if (client.isOpen()) {
                    s.close();
                }
            }
        } catch (RuntimeException e) {
            // the connection is going anyway
        } finally {
            client.close();
        }
    }
}
