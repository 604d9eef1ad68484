package io.praas.client;

import io.praas.protocol.ErrorCode;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Times out requests whose answer never came, for every open {@link ProcessClient} of this JVM.
 * One daemon thread sweeps the pending requests every {@link #TICK_MS} ms; a per-request timer
 * would wake a timer thread on every request of a sequential caller, which costs more than the
 * round trip it guards.
 */
final class RequestDeadlines {
    static final long TICK_MS = 20;
    private static final Set<ProcessClient> CLIENTS = ConcurrentHashMap.newKeySet();
    private static Thread sweeper;

    private RequestDeadlines() {
    }

    static synchronized void watch(ProcessClient client) {
        CLIENTS.add(client);
        if (sweeper == null) {
            sweeper = new Thread(RequestDeadlines::sweep, "praas-client-deadlines");
            sweeper.setDaemon(true);
            sweeper.start();
        }
    }

    static void unwatch(ProcessClient client) {
        CLIENTS.remove(client);
    }

    private static void sweep() {
        while (true) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(TICK_MS));
            long now = System.nanoTime();
            for (ProcessClient c : CLIENTS) {
                c.expire(now);
            }
        }
    }

    /**
     * A request waiting for its answer until {@code deadlineNanos}. {@code callerWaits}: a blocking
     * caller holds its payload unchanged until the answer, so the frame may refer to it uncopied.
     */
    record Pending(java.util.concurrent.CompletableFuture<io.praas.protocol.Message> answer, long deadlineNanos,
                   long waitMs, io.praas.protocol.Message request, boolean callerWaits) {
        Pending(java.util.concurrent.CompletableFuture<io.praas.protocol.Message> answer, long deadlineNanos,
                long waitMs, io.praas.protocol.Message request) {
            this(answer, deadlineNanos, waitMs, request, false);
        }

        PraasException timeout(String processId) {
            return new PraasException(ErrorCode.TIMEOUT, "no answer from process " + processId + " within " + waitMs + " ms");
        }
    }
}
