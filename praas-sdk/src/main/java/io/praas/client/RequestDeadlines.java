package io.praas.client;

import io.praas.protocol.ErrorCode;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import io.praas.concurrent.Sweeps;

/**
 * Times out requests whose answer never came, for every open {@link ProcessClient} of this JVM.
 * One daemon thread sweeps the pending requests and sleeps until the earliest deadline it saw (at
 * most {@link #MAX_SLEEP_MS}); a request due earlier than that wakes it ({@link #due}). A
 * per-request timer would wake a timer thread on every request of a sequential caller, which costs
 * more than the round trip it guards; a fixed tick woke every JVM with a client 50 times a second.
 * Timed-out requests are failed on a pool of their own: code chained on one (a callback that
 * blocks) holds up no other timeout.
 */
final class RequestDeadlines {
    static final long MAX_SLEEP_MS = 1_000;
    /** Threads that fail timed-out requests at most; past that the sweeper fails them itself. */
    static final int MAX_EXPIRY_THREADS = 16;
    private static final Set<ProcessClient> CLIENTS = ConcurrentHashMap.newKeySet();
    /** Started with the first client of this JVM. */
    private static volatile Sweeps.Sweeper sweeper;

    private RequestDeadlines() {
    }

    static synchronized void watch(ProcessClient client) {
        CLIENTS.add(client);
        if (sweeper == null) {
            sweeper = new Sweeps.Sweeper("praas-client-deadlines", TimeUnit.MILLISECONDS.toNanos(MAX_SLEEP_MS),
                    MAX_EXPIRY_THREADS, RequestDeadlines::scan);
        }
    }

    static void unwatch(ProcessClient client) {
        CLIENTS.remove(client);
    }

    /**
     * A request was put among its client's pending ones with this deadline: wakes the sweeper if it
     * sleeps past it. Costs two reads otherwise.
     */
    static void due(long deadlineNanos) {
        Sweeps.Sweeper s = sweeper;
        if (s != null) {
            s.due(deadlineNanos);
        }
    }

    /** Makes the sweeper scan now (tests: it then sleeps its longest, with nothing pending). */
    static void scanNowForTests() {
        Sweeps.Sweeper s = sweeper;
        if (s != null) {
            s.scanNow();
        }
    }

    /** Fails a timed-out request's answer, off the sweeper (called from a scan: the sweeper exists). */
    static void expire(java.util.concurrent.CompletableFuture<io.praas.protocol.Message> answer, PraasException why) {
        sweeper.expire(() -> answer.completeExceptionally(why));
    }

    private static long scan(long now, long next) {
        for (ProcessClient c : CLIENTS) {
            try {
                next = c.expire(now, next);
            } catch (RuntimeException e) {
                // one client's trouble stops no other's timeouts (its earliest may wake us late, by at
                // most the longest sleep)
            }
        }
        return next;
    }

    /**
     * A request waiting for its answer until {@code deadlineNanos}. {@code shared}: a blocking
     * caller's payload, which frames may refer to uncopied while it waits; null: frames copy it.
     * {@code handshake}: part of taking a connection into use (HELLO, a reconnect's resumes), never
     * sent again when refused.
     */
    record Pending(java.util.concurrent.CompletableFuture<io.praas.protocol.Message> answer, long deadlineNanos,
                   long waitMs, io.praas.protocol.Message request, SharedPayload shared, boolean handshake) {
        Pending(java.util.concurrent.CompletableFuture<io.praas.protocol.Message> answer, long deadlineNanos,
                long waitMs, io.praas.protocol.Message request, SharedPayload shared) {
            this(answer, deadlineNanos, waitMs, request, shared, false);
        }

        /** When the request was made (System.nanoTime). */
        long madeAtNanos() {
            return deadlineNanos - waitMs * 1_000_000L;
        }

        /** A handshake's request, answered on the connection being taken into use within {@code waitMs}. */
        static Pending handshake(java.util.concurrent.CompletableFuture<io.praas.protocol.Message> answer, long waitMs,
                                 io.praas.protocol.Message request) {
            return new Pending(answer, System.nanoTime() + waitMs * 1_000_000L, waitMs, request, null, true);
        }

        PraasException timeout(String processId) {
            return PraasException.mayHaveRun(ErrorCode.TIMEOUT, "no answer from process " + processId + " within "
                    + waitMs + " ms");
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
