package io.praas.process.invocation;

import io.praas.client.PraasException;
import io.praas.function.Context;
import io.praas.function.Group;
import io.praas.function.Peer;
import io.praas.function.ReceivedMessage;
import io.praas.process.messaging.GroupImpl;
import io.praas.process.messaging.Mailbox;
import io.praas.process.messaging.Messaging;
import io.praas.protocol.ErrorCode;
import io.praas.function.StateStore;
import io.praas.process.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The {@link Context} of one invocation. */
final class InvocationContext implements Context {
    private final Invoker invoker;
    private final String processId;
    private final String application;
    private final StateStore processState;
    private final Session session;
    private final String function;
    private final long deadlineNanos;
    private final int depth;
    private boolean usedLogger;

    InvocationContext(Invoker invoker, String processId, String application, StateStore processState,
                      Session session, String function, long deadlineNanos, int depth) {
        this.invoker = invoker;
        this.processId = processId;
        this.application = application;
        this.processState = processState;
        this.session = session;
        this.function = function;
        this.deadlineNanos = deadlineNanos;
        this.depth = depth;
    }

    /** The ends of the nested calls made so far (only ever added to; read once the function returned). */
    private final List<CompletableFuture<Void>> nestedEnds = new java.util.concurrent.CopyOnWriteArrayList<>();

    private void nestedCall(CompletableFuture<Void> ended) {
        nestedEnds.add(ended);
    }

    /**
     * Waits until every nested call made by this invocation has ended: one that ignores its interrupt
     * may outlive its caller, and must not run beside the session's next invocation. Uninterruptible,
     * as a session's order is.
     */
    void awaitNested() {
        boolean interrupted = false;
        // By index, to the list's end as it is after each wait: a nested call's completion may make
        // another (invoke(a).thenCompose(x -> invoke(b))), added while the wait is under way.
        for (int i = 0; i < nestedEnds.size(); i++) {
            CompletableFuture<Void> ended = nestedEnds.get(i);
            while (!ended.isDone()) {
                try {
                    ended.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (java.util.concurrent.ExecutionException e) {
                    break; // never completed exceptionally; ended either way
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String processId() {
        return processId;
    }

    @Override
    public String application() {
        return application;
    }

    @Override
    public Optional<String> sessionId() {
        return session == null ? Optional.empty() : Optional.of(session.id());
    }

    @Override
    public StateStore sessionState() {
        if (session == null) {
            throw new IllegalStateException("'" + function + "' was invoked without a session; open one with "
                    + "OPEN_SESSION (ProcessClient.openSession) to use session state");
        }
        return session.state();
    }

    @Override
    public StateStore processState() {
        return processState;
    }

    @Override
    public CompletableFuture<byte[]> invoke(String function, byte[] input) {
        return invoke(SELF, function, input);
    }

    @Override
    public CompletableFuture<byte[]> invoke(String process, String function, byte[] input) {
        if (!SELF.equals(process) && !processId.equals(process)) {
            try {
                return FunctionFuture.of(messaging().invoke(process, function, input, deadlineNanos));
            } catch (PraasException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        invoker.submitNested(function, session, input, remainingMs, depth + 1, this::nestedCall).whenComplete((out, err) -> {
            if (err == null) {
                answer.complete(out);
            } else if (err instanceof InvocationException e) {
                answer.completeExceptionally(new PraasException(e.code(), e.getMessage()));
            } else {
                answer.completeExceptionally(err);
            }
        });
        return answer;
    }

    @Override
    public CompletableFuture<Void> send(String process, String key, byte[] data) {
        try {
            Messaging.checkKey(key);
            if (process == null || process.isEmpty()) {
                throw new PraasException(ErrorCode.INVALID_ARGUMENT, "send needs a process id");
            }
            return FunctionFuture.of(messaging().send(process, key, data, deadlineNanos));
        } catch (PraasException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<ReceivedMessage> receive(String from, String key, Duration timeout) {
        try {
            Messaging.checkKey(key);
            if (from == null || from.isEmpty()) {
                throw new PraasException(ErrorCode.INVALID_ARGUMENT, "receive needs a process id or Context.ANY");
            }
            long deadline = Math.min(deadlineNanos, System.nanoTime() + Math.max(0, timeout.toNanos()));
            return FunctionFuture.of(messaging().receive(ANY.equals(from) ? Mailbox.ANY : from, key, null, deadline));
        } catch (PraasException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public List<Peer> world() {
        Messaging m = invoker.messaging();
        return m == null ? List.of() : m.peers();
    }

    @Override
    public Group group(List<String> processIds) {
        return GroupImpl.of(processIds, messaging(), invoker.kryo(), deadlineNanos);
    }

    private Messaging messaging() {
        Messaging m = invoker.messaging();
        if (m == null) {
            throw new PraasException(ErrorCode.PROCESS_UNAVAILABLE, "messaging is not available in this process");
        }
        return m;
    }

    @Override
    public Duration remainingTime() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    @Override
    public Logger logger() {
        // The MDC is set only for invocations that log: it costs a map copy per put.
        MDC.put("process", processId);
        MDC.put("function", function);
        if (session != null) {
            MDC.put("session", session.id());
        }
        usedLogger = true;
        return LoggerFactory.getLogger("praas.function." + function);
    }

    boolean usedLogger() {
        return usedLogger;
    }
}
