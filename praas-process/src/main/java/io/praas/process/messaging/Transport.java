package io.praas.process.messaging;

import io.praas.function.ReceivedMessage;

import java.util.concurrent.CompletableFuture;

/** What collectives need of messaging; {@link Messaging} is the real one. */
interface Transport {
    String self();

    CompletableFuture<Void> send(String target, String key, byte[] data, long deadlineNanos);

    CompletableFuture<ReceivedMessage> receive(String from, String key, String abortKey, long deadlineNanos);

    /** Drops leftovers of a failed collective (messages that came after it gave up). */
    void discard(String keyPrefix);

    long nextCollective(String groupId);
}
