package io.praas.function;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a running function can see and do: its process, its session and their state, other
 * functions (of this process or another), messages to and from the other processes of its
 * application, its world, collectives over a group of processes, a logger.
 *
 * <pre>{@code
 * public Integer handle(String text, Context ctx) throws Exception {
 *     ctx.logger().debug("process {} session {}", ctx.processId(), ctx.sessionId().orElse("-"));
 *     byte[] counted = ctx.invoke("wordCount", text.getBytes(UTF_8)).get();
 *     return ctx.sessionState().compute("calls", Integer.class, n -> n == null ? 1 : n + 1);
 * }
 * }</pre>
 */
public interface Context {
    /** Use as the process id in {@link #invoke(String, String, byte[])} to call a function of this process. */
    String SELF = "";

    /** Use as the sender in {@link #receive} to take a message from any process. */
    String ANY = "*";

    /** This process's id. */
    String processId();

    /** This process's application. */
    String application();

    /** The session of this invocation, if it was invoked within one. */
    Optional<String> sessionId();

    /** The state of this invocation's session. @throws IllegalStateException without a session */
    StateStore sessionState();

    /** The state shared by every session of this process. */
    StateStore processState();

    /**
     * Invokes a function of this process with raw bytes. It runs as part of this invocation (same
     * session, outside the session's queue), so waiting for it never deadlocks, even with one worker.
     */
    CompletableFuture<byte[]> invoke(String function, byte[] input);

    /**
     * Invokes a function of process {@code processId} of this application ({@link #SELF} for this
     * one): over a direct peer connection, without a session, bounded by this invocation's remaining
     * time. Failures complete the future with a {@code PraasException} carrying the protocol code.
     */
    CompletableFuture<byte[]> invoke(String processId, String function, byte[] input);

    /**
     * Sends {@code data} under {@code key} to the mailbox of process {@code processId} of this
     * application (this one too). Completes when the receiver has stored it. Messages from one
     * sender under one key are received in the order they were sent when each send completed before
     * the next began; sends in flight together keep their order unless one has to be sent again (its
     * receiver was swapping out). A swapped-out receiver is swapped in first, so a message is never
     * dropped. Fails with a {@code PraasException}: INVALID_ARGUMENT for an unknown process, a key
     * or data too large; PROCESS_UNAVAILABLE when the receiver failed or stopped, or when this
     * process has not yet heard of its world (it runs without a control plane); OVERLOADED when a
     * swap-in would exceed the application's process limit; STATE_LIMIT_EXCEEDED when the receiver's
     * mailbox is full; TIMEOUT when this invocation's time ran out first.
     *
     * <p>Callbacks attached to these futures may run on the runtime's own threads (the event loop,
     * a link's reader): do not block in them; use the {@code ...Async} variants for work that may.
     *
     * <pre>{@code
     * ctx.send("p-2", "partial", bytes).get();
     * }</pre>
     */
    CompletableFuture<Void> send(String processId, String key, byte[] data);

    /**
     * Takes the oldest message under {@code key} from process {@code from} (or {@link #ANY}) out of
     * this process's mailbox, waiting up to {@code timeout} (and at most this invocation's remaining
     * time) for one to arrive; fails with a {@code PraasException} TIMEOUT otherwise. The mailbox is
     * separate from process state; its messages go with the process when it swaps.
     */
    CompletableFuture<ReceivedMessage> receive(String from, String key, Duration timeout);

    /**
     * Every process of this application with its status and endpoint, as the control plane last
     * pushed them (empty for a process started without a control plane).
     */
    java.util.List<Peer> world();

    /**
     * A group of processes of this application, this one among them, for collectives
     * (barrier, broadcast, reduce, all-reduce, gather).
     *
     * @throws IllegalArgumentException when this process is not a member or a member repeats
     */
    Group group(java.util.List<String> processIds);

    /** Time left before this invocation times out. */
    Duration remainingTime();

    /** A logger named for the function, with process and session ids in its MDC. */
    Logger logger();
}
