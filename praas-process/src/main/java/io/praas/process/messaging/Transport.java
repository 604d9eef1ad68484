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

    long nextCollective(String groupId);
}
