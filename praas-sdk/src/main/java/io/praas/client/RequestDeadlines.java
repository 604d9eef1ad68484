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
     * A request waiting for its answer until {@code deadlineNanos}. {@code shared}: a blocking
     * caller's payload, which frames may refer to uncopied while it waits; null: frames copy it.
     */
    record Pending(java.util.concurrent.CompletableFuture<io.praas.protocol.Message> answer, long deadlineNanos,
                   long waitMs, io.praas.protocol.Message request, SharedPayload shared) {
        Pending(java.util.concurrent.CompletableFuture<io.praas.protocol.Message> answer, long deadlineNanos,
                long waitMs, io.praas.protocol.Message request) {
            this(answer, deadlineNanos, waitMs, request, null);
        }

        PraasException timeout(String processId) {
            return new PraasException(ErrorCode.TIMEOUT, "no answer from process " + processId + " within " + waitMs + " ms");
        }
    }

    /**
     * A blocking caller's payload, written without a copy while the caller waits. Once the caller
     * leaves (answer, timeout or interrupt) it waits for the last write that refers to the payload,
     * and later sends of the request (retries, reconnects) copy it: the caller may then change it.
     */
    static final class SharedPayload {
        private boolean callerLeft;
        private io.vertx.core.Future<Void> lastWrite = io.vertx.core.Future.succeededFuture();

        /**
         * Runs {@code send} with whether its frame may refer to the payload (the caller still waits);
         * {@code send} returns its write, or null when it wrote nothing.
         */
        synchronized void send(java.util.function.Function<Boolean, io.vertx.core.Future<Void>> send) {
            boolean sharing = !callerLeft;
            io.vertx.core.Future<Void> w = send.apply(sharing);
            if (sharing && w != null) {
                lastWrite = w;
            }
        }

        /** The caller is done with the request: returns once no write refers to its payload any more. */
        void leave() {
            io.vertx.core.Future<Void> w;
            synchronized (this) {
                callerLeft = true;
                w = lastWrite;
            }
            // Not interruptible: an interrupted caller may change its array as soon as this returns.
            w.toCompletionStage().toCompletableFuture().handle((v, e) -> null).join();
        }
    }
}
