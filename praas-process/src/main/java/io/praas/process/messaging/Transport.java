package io.praas.process.messaging;

import io.praas.function.ReceivedMessage;

import java.util.concurrent.CompletableFuture;

/** What collectives need of messaging; {@link Messaging} is the real one. */
interface Transport {
    String self();

    CompletableFuture<Void> send(String target, String key, byte[] data, long deadlineNanos);

    CompletableFuture<ReceivedMessage> receive(String from, String key, String abortKey, long deadlineNanos);

    /** Drops stored messages whose key {@code drop} accepts: leftovers of collectives that ended. */
    void discard(java.util.function.Predicate<String> drop);

    /**
     * Takes the next sequence number of collective operations over {@code groupId}.
     *
     * @throws io.praas.client.PraasException PROCESS_UNAVAILABLE when the process takes no more
     *         writes (it swaps out)
     */
    long nextCollective(String groupId);

    /** The number {@link #nextCollective} would take, without taking it. */
    long upcomingCollective(String groupId);
}
