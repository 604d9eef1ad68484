package io.praas.function;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a running function can see and do: its process, its session and their state, other
 * functions, a logger.
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
     * Invokes a function of process {@code processId} ({@link #SELF} for this one). This version of
     * the runtime reaches only its own process; others fail with an {@link UnsupportedOperationException}.
     */
    CompletableFuture<byte[]> invoke(String processId, String function, byte[] input);

    /** Time left before this invocation times out. */
    Duration remainingTime();

    /** A logger named for the function, with process and session ids in its MDC. */
    Logger logger();
}
