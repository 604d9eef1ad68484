package io.praas.client;

import io.praas.codec.Codec;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.FrameParser;
import io.praas.protocol.GoAwayReason;
import io.praas.protocol.Message;
import io.praas.protocol.ProtocolException;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A direct data-plane connection to one process: one multiplexed TCP connection on which many
 * requests are in flight at once.
 *
 * <pre>{@code
 * try (ProcessClient client = ProcessClient.builder()
 *         .address("127.0.0.1", 8000)
 *         .application("shop")
 *         .token(token)
 *         .connect()) {
 *     String echoed = client.invoke("echo", "hi", Codecs.utf8(), Codecs.utf8());
 *     ProcessSession cart = client.openSession();
 *     cart.invoke("addItem", "{\"sku\":42}".getBytes(UTF_8));
 * }
 * }</pre>
 *
 * <p>Thread-safe. Blocking calls must not run on a Vert.x event loop; use the async variants there.
 */
public final class ProcessClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessClient.class);
    /** Extra time the client waits beyond a request's timeout for the process's TIMEOUT answer. */
    private static final long CLIENT_GRACE_MS = 2_000;
    /** A request sent later than this after it was made tells the process the time it has left. */
    private static final long RESEND_SLACK_MS = 100;
    /**
     * What the answers in progress of all clients in this JVM may hold reserved on their claimed
     * lengths (a quarter of the heap); past it, an answer's buffer grows as its bytes come.
     */
    private static final FrameParser.Reservations FRAME_RESERVATIONS =
            new FrameParser.Reservations(Runtime.getRuntime().maxMemory() / 4);
    private static final long NOT_STARTED_RETRY_MS = 100;
    /** How long a connection that sent GOAWAY may stay before the client reconnects regardless. */
    private static final long GOAWAY_LINGER_MS = 30_000;

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final NetClient netClient;
    private final Duration defaultTimeout;
    private final Map<Long, RequestDeadlines.Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextRequestId = new AtomicLong();
    private final Reconnector reconnector;
    private final Duration reconnectTimeout;
    private final Duration connectTimeout;
    private final String application;
    private final String clientInfo;
    /**
     * Sessions the process no longer had when this client reconnected (it opened them again, empty),
     * with when that was found: every request made before then fails with SESSION_NOT_FOUND, and if
     * none was, the next one, so the caller learns its state is gone.
     */
    private final Map<String, LostSession> lostSessions = new ConcurrentHashMap<>();

    private record LostSession(long foundAtNanos, java.util.concurrent.atomic.AtomicBoolean told) {
        LostSession() {
            this(System.nanoTime(), new java.util.concurrent.atomic.AtomicBoolean());
        }
    }
    /** Sessions opened or resumed through this client: resumed on the process after a reconnect. */
    private final java.util.Set<String> sessions = ConcurrentHashMap.newKeySet();
    /**
     * Requests waiting for the connection while the client reconnects; sent once it is back, oldest
     * first: one refused after the GOAWAY goes back ahead of those made since (a session's order).
     */
    private final java.util.Queue<RequestDeadlines.Pending> waiting = new java.util.concurrent.PriorityBlockingQueue<>(
            16, java.util.Comparator.comparingLong(RequestDeadlines.Pending::madeAtNanos));
    /** Requests refused before they started, waiting out the pause before they are sent again. */
    private final java.util.Set<RequestDeadlines.Pending> refusedRetries = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Longest frame a process may send before its WELCOME (a WELCOME or an ERROR is small). */
    static final int MAX_FRAME_BEFORE_WELCOME = 64 * 1024;
    private final Object reconnectLock = new Object();
    private volatile boolean reconnecting;
    /** A reconnect thread runs; {@link #reconnectAgain}: one more was asked for while it ran. */
    private final java.util.concurrent.atomic.AtomicBoolean reconnectRunning = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean reconnectAgain;
    private volatile Thread reconnectThread;
    /** Swapped out with nothing to send: the next request starts the reconnect (which swaps it in). */
    private final java.util.concurrent.atomic.AtomicBoolean dormant = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean userClosed;
    /** The client's connection, with its close's futures (null before the first is taken into use). */
    private volatile Attempt current;
    private volatile String processId;
    private volatile long maxFrameBytes;
    private volatile String serverInfo;
    private volatile Message.GoAway goAway;
    private volatile PraasException closedBy;

    private ProcessClient(Builder b) {
        this.ownsVertx = b.vertx == null;
        this.vertx = ownsVertx ? Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setPreferNativeTransport(true)) : b.vertx;
        this.defaultTimeout = b.timeout;
        this.reconnector = b.reconnector;
        this.reconnectTimeout = b.reconnectTimeout;
        this.connectTimeout = b.connectTimeout;
        this.application = b.application;
        this.clientInfo = b.clientInfo;
        this.netClient = vertx.createNetClient(new NetClientOptions()
                .setTcpNoDelay(true)
                .setConnectTimeout((int) b.connectTimeout.toMillis()));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The process's id, from its WELCOME. */
    public String processId() {
        return processId;
    }

    /** The largest frame the process accepts, from its WELCOME. */
    public long maxFrameBytes() {
        return maxFrameBytes;
    }

    public String serverInfo() {
        return serverInfo;
    }

    /** The GOAWAY the process sent, or null: after one, reconnect to a process the control plane names. */
    public Message.GoAway goAway() {
        return goAway;
    }

    /** True until the connection closes for good (a client with a reconnector stays open while it reconnects). */
    public boolean isOpen() {
        return closedBy == null;
    }

    Duration defaultTimeout() {
        return defaultTimeout;
    }

    /** Opens a new session. */
    public ProcessSession openSession() {
        return await(openSessionAsync(""));
    }

    /** Resumes session {@code id}, or creates it with that id if the process does not have it. */
    public ProcessSession resumeSession(String id) {
        Objects.requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("session id must not be empty; use openSession() for a new one");
        }
        return await(openSessionAsync(id));
    }

    public CompletableFuture<ProcessSession> openSessionAsync(String id) {
        return request(new Message.OpenSession(id), defaultTimeout).thenApply(m -> {
            Message.SessionOpened s = (Message.SessionOpened) m;
            sessions.add(s.sessionId());
            return new ProcessSession(this, s.sessionId(), s.resumed());
        });
    }

    void closeSession(String id) {
        sessions.remove(id);
        await(request(new Message.CloseSession(id), defaultTimeout));
    }

    /** Invokes a function outside any session. */
    public byte[] invoke(String function, byte[] input) {
        return invoke(function, "", input, defaultTimeout);
    }

    /**
     * A blocking invoke: the caller keeps {@code input} unchanged while it waits, so it is sent
     * uncopied; it returns only once no write refers to {@code input} any more.
     */
    byte[] invoke(String function, String sessionId, byte[] input, Duration timeout) {
        refuseOnEventLoop();
        if (input.length < FrameCodec.SHARED_PAYLOAD_BYTES) {
            return invokeAndWait(function, sessionId, input, timeout, null); // its frame copies it anyway
        }
        RequestDeadlines.SharedPayload shared = new RequestDeadlines.SharedPayload();
        try {
            return invokeAndWait(function, sessionId, input, timeout, shared);
        } finally {
            shared.leave();
        }
    }

    /**
     * Sends an invocation and waits for its output. Interrupted while the request still waits to be
     * sent (the client reconnects), it is taken back and fails as not run; once written it may run.
     */
    private byte[] invokeAndWait(String function, String sessionId, byte[] input, Duration timeout,
                                 RequestDeadlines.SharedPayload shared) {
        PraasException closed = closedBy;
        if (closed != null) {
            throw new PraasException(closed.code(), closed.detail(), closed, closed.mayHaveRun());
        }
        PraasException bad = badTimeout(timeout);
        if (bad != null) {
            throw bad;
        }
        RequestDeadlines.Pending p = sent(new Message.Invoke(function, sessionId, timeout.toMillis(), input),
                timeout, shared);
        try {
            p.answer().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            boolean withdrawn = waiting.remove(p) || refusedRetries.remove(p);
            PraasException why = withdrawn
                    ? new PraasException(ErrorCode.UNKNOWN, "interrupted while the request waited to be sent; "
                            + "it was not sent", e)
                    : new PraasException(ErrorCode.UNKNOWN, "interrupted while waiting for the process; the request "
                            + "may still run", e, true);
            if (withdrawn) {
                p.answer().completeExceptionally(why);
            }
            throw why;
        } catch (ExecutionException e) {
            // Answered below, as every blocking call reports its failure.
        }
        return ((Message.Result) await(p.answer())).output();
    }

    public <I, O> O invoke(String function, I input, Codec<I> in, Codec<O> out) {
        return out.decode(invoke(function, in.encode(input)));
    }

    public CompletableFuture<byte[]> invokeAsync(String function, byte[] input) {
        return invokeAsync(function, "", input, defaultTimeout);
    }

    /**
     * Invokes {@code function} in session {@code sessionId} ("" for none) with a timeout that covers
     * queueing and execution on the process.
     */
    public CompletableFuture<byte[]> invokeAsync(String function, String sessionId, byte[] input, Duration timeout) {
        // Copied now: the request may be written later (queued while the client reconnects) or again
        // (refused before it started), and the caller may reuse its array as soon as this returns.
        return invoke(function, sessionId, input.clone(), timeout, null);
    }

    private CompletableFuture<byte[]> invoke(String function, String sessionId, byte[] input, Duration timeout,
                                             RequestDeadlines.SharedPayload shared) {
        PraasException bad = badTimeout(timeout);
        if (bad != null) {
            return CompletableFuture.failedFuture(bad);
        }
        return request(new Message.Invoke(function, sessionId, timeout.toMillis(), input), timeout, shared)
                .thenApply(m -> ((Message.Result) m).output());
    }

    /**
     * INVALID_ARGUMENT for a per-call timeout the protocol cannot carry (under 1 ms or over
     * 2^32-1 ms), which is not sent; else null. (A zero or negative one was sent as 1 ms, and failed
     * the caller at once while the invocation ran.)
     */
    private static PraasException badTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return timeout.toMillis() < 1 || timeout.toMillis() > 0xFFFF_FFFFL
                ? new PraasException(ErrorCode.INVALID_ARGUMENT, "timeout must be between 1 ms and 2^32-1 ms, not "
                        + timeout.toMillis() + " ms")
                : null;
    }

    /** Round trip of a PING; returns the echoed bytes. */
    public byte[] ping(byte[] data) {
        return ((Message.Pong) await(request(new Message.Ping(data), defaultTimeout))).data();
    }

    private CompletableFuture<Message> request(Message message, Duration timeout) {
        return request(message, timeout, null);
    }

    private CompletableFuture<Message> request(Message message, Duration timeout, RequestDeadlines.SharedPayload shared) {
        PraasException closed = closedBy;
        if (closed != null) {
            return CompletableFuture.failedFuture(closed);
        }
        return sent(message, timeout, shared).answer();
    }

    /** Sends a request (or queues it while the client reconnects), its answer due within {@code timeout} and the grace. */
    private RequestDeadlines.Pending sent(Message message, Duration timeout, RequestDeadlines.SharedPayload shared) {
        long waitMs = timeout.toMillis() + CLIENT_GRACE_MS;
        RequestDeadlines.Pending p = new RequestDeadlines.Pending(new CompletableFuture<>(),
                System.nanoTime() + waitMs * 1_000_000L, waitMs, message, shared);
        send(p);
        return p;
    }

    /** Sends a request now, or queues it while the client reconnects. */
    private void send(RequestDeadlines.Pending p) {
        if (reconnecting && swapInFailure != null && System.nanoTime() - swapInRetryAtNanos < 0) {
            failWhileBackingOff(p); // too soon after a swap-in failed: failed here, without a reconnect
            return;
        }
        if (reconnecting) {
            waiting.add(p);
            RequestDeadlines.due(p.deadlineNanos()); // after the add
            if (dormant.compareAndSet(true, false)) {
                startReconnect();
            }
            PraasException closed = closedBy;
            if (closed != null && waiting.remove(p)) {
                p.answer().completeExceptionally(closed); // closed for good in between: nobody would send it
            } else if (!reconnecting && waiting.remove(p)) {
                send(p); // the reconnect finished in between
            }
            return;
        }
        sendNow(p);
    }

    /** Whether {@code p}, of a session found lost, fails: made before the loss was found, or the first after it. */
    private boolean lostBefore(String session, RequestDeadlines.Pending p) {
        LostSession lost = lostSessions.get(session);
        if (lost == null) {
            return false;
        }
        if (p.madeAtNanos() - lost.foundAtNanos() < 0) {
            lost.told().set(true);
            return true;
        }
        if (lost.told().compareAndSet(false, true)) {
            return true;
        }
        lostSessions.remove(session, lost); // told, and asked again since: the session goes on, empty
        return false;
    }

    /** Writes a request on the current connection, whether or not the client reconnects. */
    private void sendNow(RequestDeadlines.Pending p) {
        if (p.request() instanceof Message.Invoke inv && !inv.sessionId().isEmpty() && !lostSessions.isEmpty()
                && lostBefore(inv.sessionId(), p)) {
            p.answer().completeExceptionally(new PraasException(ErrorCode.SESSION_NOT_FOUND, "process " + processId
                    + " no longer had session " + inv.sessionId() + " when this client reconnected (closed by "
                    + "another client, or expired): its state is gone; it was opened again, empty, and this "
                    + "request was not sent"));
            return;
        }
        if (p.shared() == null) {
            write(p, false);
        } else {
            p.shared().send(sharing -> write(p, sharing));
        }
    }

    /** Encodes and writes a request under a new id ({@code sharing}: referring to its payload); null if not written. */
    private io.vertx.core.Future<Void> write(RequestDeadlines.Pending p, boolean sharing) {
        Message request = p.request();
        if (request instanceof Message.Invoke inv) {
            // Sent again after a wait (a reconnect): the process gets the time left, not the whole timeout.
            long remainingMs = (p.deadlineNanos() - System.nanoTime()) / 1_000_000L;
            if (p.waitMs() - remainingMs > RESEND_SLACK_MS) {
                long leftMs = remainingMs - CLIENT_GRACE_MS;
                if (leftMs <= 0) {
                    p.answer().completeExceptionally(new PraasException(ErrorCode.TIMEOUT, "the request was not sent: "
                            + "its " + inv.timeoutMs() + " ms ran out while this client waited to send it to process "
                            + processId));
                    return null;
                }
                if (leftMs < inv.timeoutMs()) {
                    request = new Message.Invoke(inv.function(), inv.sessionId(), leftMs, inv.input());
                }
            }
        }
        long id = nextRequestId.incrementAndGet();
        Buffer frame;
        try {
            frame = sharing ? FrameCodec.encodeSharingPayload(id, request) : FrameCodec.encode(id, request);
        } catch (IllegalArgumentException e) {
            p.answer().completeExceptionally(new PraasException(ErrorCode.INVALID_ARGUMENT, e.getMessage()));
            return null;
        }
        if (frame.length() - FrameCodec.LENGTH_FIELD > maxFrameBytes) {
            p.answer().completeExceptionally(new PraasException(ErrorCode.FRAME_TOO_LARGE,
                    "request of " + frame.length() + " bytes over the process's limit of " + maxFrameBytes));
            return null;
        }
        Attempt c = current;
        track(id, p);
        io.vertx.core.Future<Void> written = c.socket().write(frame);
        if (closedBy != null) {
            fail(id, closedBy); // closed while we registered: onClosed may have missed this one
        } else if (reconnector != null) {
            // Not written whole (the connection is closing, or closed as the request was put among
            // the pending ones): it never ran, so it goes out again once the close has been handled
            // (the client then reconnects and queues it).
            written.onFailure(e -> {
                if (pending.remove(id, p)) {
                    c.socket().close();
                    c.handled().thenRun(() -> send(p));
                }
            });
        }
        return written;
    }

    /** Puts a request among the pending ones, then tells the sweeper its deadline (in that order). */
    private void track(long id, RequestDeadlines.Pending p) {
        pending.put(id, p);
        RequestDeadlines.due(p.deadlineNanos());
    }

    /**
     * Fails the requests whose deadline has passed at {@code nowNanos} (called by
     * {@link RequestDeadlines}); returns the earliest deadline of those left, or {@code next} if that
     * is earlier.
     */
    long expire(long nowNanos, long next) {
        next = io.praas.concurrent.Sweeps.scan(pending.entrySet(), e -> e.getValue().deadlineNanos(),
                e -> pending.remove(e.getKey(), e.getValue()), e -> timeOut(e.getValue()), nowNanos, next);
        return io.praas.concurrent.Sweeps.scan(waiting, RequestDeadlines.Pending::deadlineNanos, waiting::remove,
                this::timeOutUnsent, nowNanos, next);
    }

    private void timeOut(RequestDeadlines.Pending p) {
        RequestDeadlines.expire(p.answer(), p.timeout(processId));
    }

    /** A request that waited for the reconnect until its deadline: it was never sent. */
    private void timeOutUnsent(RequestDeadlines.Pending p) {
        RequestDeadlines.expire(p.answer(), new PraasException(ErrorCode.TIMEOUT, "the request was not sent: this "
                + "client was reconnecting to process " + processId + " for all of its " + p.waitMs() + " ms"));
    }

    <T> T await(CompletableFuture<T> future) {
        refuseOnEventLoop();
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof PraasException p) {
                throw new PraasException(p.code(), p.detail(), p, p.mayHaveRun()); // rethrown for the caller's stack
            }
            throw new PraasException(ErrorCode.UNKNOWN, String.valueOf(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // The request is not taken back here: written or queued, it may still run.
            throw new PraasException(ErrorCode.UNKNOWN, "interrupted while waiting for the process; the request "
                    + "may still run", e, true);
        }
    }

    private static void refuseOnEventLoop() {
        if (io.vertx.core.Context.isOnEventLoopThread()) {
            throw new IllegalStateException("blocking PraaS call on an event loop; use the async variant");
        }
    }

    private void onFrame(NetSocket from, Frame frame) {
        Message message = frame.message();
        if (frame.requestId() == 0) {
            onConnectionMessage(from, message);
            return;
        }
        if (message instanceof Message.Ping ping) {
            // A request of the process's (PROTOCOL.md: PING goes either way), not an answer to one of ours.
            from.write(FrameCodec.encode(frame.requestId(), new Message.Pong(ping.data())));
            return;
        }
        RequestDeadlines.Pending p = pending.remove(frame.requestId());
        if (p == null) {
            return; // already timed out on this side
        }
        CompletableFuture<Message> answer = p.answer();
        if (message instanceof Message.Error e) {
            if (reconnector != null && e.code() == ErrorCode.PROCESS_UNAVAILABLE
                    && (frame.flags() & FrameCodec.FLAG_NOT_STARTED) != 0 && !userClosed && !p.handshake()) {
                // Refused before it started (the process is going away): safe to send again, on this
                // connection if the process serves again, else once the client has reconnected (it
                // then queues at once, in the order the refusals came).
                if (reconnecting) {
                    send(p);
                } else {
                    // Held where a close finds it (the timer does not outlive the client's Vert.x).
                    refusedRetries.add(p);
                    vertx.setTimer(NOT_STARTED_RETRY_MS, t -> {
                        if (!refusedRetries.remove(p)) {
                            return; // failed by the close meanwhile
                        }
                        if (userClosed) {
                            p.answer().completeExceptionally(new PraasException(ErrorCode.PROCESS_UNAVAILABLE,
                                    "client closed; the request was refused before it started and not sent again"));
                        } else {
                            send(p);
                        }
                    });
                }
                return;
            }
            // ERROR 15 without NOT_STARTED: failed in flight at the end of a drain, it may have run.
            // ERROR 12: the function ran out of time while it ran (it may have written state, or run on).
            boolean mayHaveRun = e.code() == ErrorCode.PROCESS_UNAVAILABLE && (frame.flags() & FrameCodec.FLAG_NOT_STARTED) == 0
                    || e.code() == ErrorCode.TIMEOUT;
            answer.completeExceptionally(mayHaveRun ? PraasException.mayHaveRun(e.code(), e.message())
                    : new PraasException(e.code(), e.message()));
        } else {
            answer.complete(message);
        }
    }

    private void onConnectionMessage(NetSocket from, Message message) {
        if (message instanceof Message.GoAway g) {
            goAway = g;
            LOG.info("process {} sent GOAWAY ({}): {}", processId, g.reason(), g.detail());
            if (reconnector != null && !userClosed) {
                // New requests wait for the process's next home instead of meeting its drain; what is
                // in flight finishes here. If the connection outlives the drain (a failed swap-out
                // leaves the process serving), the client moves on anyway.
                synchronized (reconnectLock) {
                    reconnecting = true;
                }
                NetSocket draining = socket();
                vertx.setTimer(GOAWAY_LINGER_MS, t -> {
                    if (socket() == draining) {
                        draining.close();
                    }
                });
            }
        } else if (message instanceof Message.Error e) {
            LOG.warn("process {} reported a connection error {}: {}", processId, e.code(), e.message());
            PraasException error = new PraasException(e.code(), e.message());
            if (from != socket()) {
                connectionErrors.put(from, error); // a connection not yet in use: its handshake fails with it
            } else if (reconnector == null) {
                closedBy = error; // the client's only connection; a reconnecting client moves on at its close
            }
        }
    }

    /** Connection-level errors of connections still shaking hands, reported when they close. */
    private final Map<NetSocket, PraasException> connectionErrors = new java.util.concurrent.ConcurrentHashMap<>();

    private void fail(long requestId, PraasException e) {
        RequestDeadlines.Pending p = pending.remove(requestId);
        if (p != null) {
            p.answer().completeExceptionally(e);
        }
    }

    private void onClosed(NetSocket closedSocket) {
        if (closedSocket != socket()) {
            return; // an earlier connection
        }
        Message.GoAway g = goAway;
        String why = g != null && g.reason() != GoAwayReason.UNKNOWN
                ? "process " + processId + " went away (" + g.reason() + "): " + g.detail()
                : "connection to process " + processId + " closed";
        if (reconnector != null && !userClosed && closedBy == null) {
            // What was in flight may have run: the caller must decide. What never started is sent again.
            PraasException inFlight = PraasException.mayHaveRun(ErrorCode.PROCESS_UNAVAILABLE, why
                    + "; the request was in flight and may or may not have run");
            synchronized (reconnectLock) {
                reconnecting = true;
            }
            for (Long id : pending.keySet()) {
                fail(id, inFlight);
            }
            if (g != null && g.reason() == GoAwayReason.SWAPPING_OUT) {
                // Swapped out (the idle policy, say): it is swapped in when this client next sends,
                // not at once, or a connected client would undo every idle swap-out.
                goDormant();
            } else {
                startReconnect();
            }
            return;
        }
        if (closedBy == null) {
            closedBy = new PraasException(ErrorCode.PROCESS_UNAVAILABLE, why);
        }
        RequestDeadlines.unwatch(this);
        // Written, so perhaps run: whoever closed the connection, the caller must not take it for not run.
        PraasException inFlight = PraasException.mayHaveRun(closedBy.code(), closedBy.detail()
                + "; the request was in flight and may or may not have run");
        for (Long id : pending.keySet()) {
            fail(id, inFlight);
        }
        RequestDeadlines.Pending p;
        while ((p = waiting.poll()) != null) {
            p.answer().completeExceptionally(closedBy);
        }
        for (RequestDeadlines.Pending r : refusedRetries) {
            if (refusedRetries.remove(r)) {
                r.answer().completeExceptionally(closedBy); // refused before it started: not run
            }
        }
    }

    /**
     * Leaves the reconnect to the next request (requests queue meanwhile: {@code reconnecting} stays
     * set); starts it now if one is waiting already. A request and this agree through the CAS on
     * {@code dormant}: whichever sees the other starts it, once.
     */
    private void goDormant() {
        dormant.set(true);
        if (!waiting.isEmpty() && dormant.compareAndSet(true, false)) {
            startReconnect();
        }
    }

    /** Starts the reconnect thread, or, if it runs, has it go round once more when done. */
    private void startReconnect() {
        reconnectAgain = true;
        if (!reconnectRunning.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                while (reconnectAgain && !userClosed) {
                    reconnectAgain = false;
                    if (reconnecting) { // (asked twice for one loss, the second finds it connected)
                        reconnect();
                    }
                }
            } finally {
                reconnectThread = null;
                reconnectRunning.set(false);
            }
            if (reconnectAgain && !userClosed) {
                startReconnect(); // asked for after the loop's last look
            }
        }, "praas-reconnect-" + processId);
        t.setDaemon(true);
        reconnectThread = t;
        t.start();
    }

    /** Finds the process again, reconnects, resumes the sessions, and sends what waited. */
    private void reconnect() {
        long deadline = System.nanoTime() + reconnectTimeout.toNanos();
        PraasException last = null;
        long backoffMs = 50;
        if (swapInFailure != null && System.nanoTime() - swapInRetryAtNanos < 0) {
            failWaitingForSwapIn(); // too soon after a swap-in failed: no other is asked for yet
            return;
        }
        while (System.nanoTime() < deadline && !userClosed) {
            Attempt attempt = null;
            try {
                Reconnector.Endpoint at = reconnector.locate(processId);
                if (userClosed) {
                    return;
                }
                goAway = null;
                attempt = connectAndHello(at.host(), at.port(), at.token());
                int resumed = 0;
                for (String session : sessions) {
                    PraasException err = resumeRaw(attempt, session);
                    if (err == null) {
                        resumed++;
                    } else if (err.code() == ErrorCode.PROCESS_UNAVAILABLE || err.code() == ErrorCode.UNKNOWN
                            || err.code() == ErrorCode.TIMEOUT) {
                        throw err; // the connection's trouble: try again
                    } else {
                        // That session's alone (the process is at its session limit, say): it is lost,
                        // and its next request says so; the others go on.
                        LOG.warn("process {} did not resume session {}: {}", processId, session, err.getMessage());
                        sessions.remove(session);
                        lostSessions.put(session, new LostSession());
                    }
                }
                LOG.info("reconnected to process {} at {}:{} and resumed {} sessions", processId, at.host(), at.port(),
                        resumed);
                Attempt connected = attempt;
                attempt = null;
                swapInFailure = null;
                swapInBackoffMs = 0;
                if (publish(connected)) {
                    flushWaiting(connected);
                }
                return;
            } catch (PraasApiException e) {
                last = e;
                if ("SWAP_FAILED".equals(e.error())) {
                    // A corrupt snapshot, a process that cannot start: each try would start another.
                    // What waited fails; the client stays, and its next request tries again.
                    swapInFailed(e);
                    return;
                }
                if (e.status() == 404 || e.status() == 409 || e.status() == 401 || e.status() == 403) {
                    break; // deleted, stopped or failed, or not ours: waiting will not bring it back
                }
                LOG.debug("reconnecting to process {}: {}", processId, e.getMessage());
            } catch (PraasException e) {
                last = e;
                LOG.debug("reconnecting to process {}: {}", processId, e.getMessage());
            } catch (RuntimeException e) {
                last = new PraasException(ErrorCode.PROCESS_UNAVAILABLE, e.toString(), e);
            } finally {
                if (attempt != null) {
                    attempt.socket().close(); // not taken into use: nothing else closes it
                }
            }
            if (last != null && !(last instanceof PraasApiException)
                    && (last.code() == ErrorCode.UNAUTHENTICATED || last.code() == ErrorCode.FORBIDDEN)) {
                break; // the process refused this client: trying again will not change that
            }
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            backoffMs = Math.min(1_000, backoffMs * 2);
        }
        if (userClosed) {
            return; // close() has failed what waited
        }
        if (closedBy == null) {
            closedBy = new PraasException(ErrorCode.PROCESS_UNAVAILABLE, "could not reconnect to process " + processId
                    + (System.nanoTime() < deadline ? "" : " within " + reconnectTimeout.toMillis() + " ms")
                    + (last != null ? ": " + last.detail() : ""));
        }
        reconnecting = false;
        onClosed(socket());
    }

    /**
     * Sends what waited for the reconnect, oldest first, before requests made from now on: those
     * keep queueing behind it until the queue is empty (a session's requests stay in order). Stops
     * if the connection closes or says GOAWAY meanwhile: what is left waits for the next one.
     */
    private void flushWaiting(Attempt connected) {
        RequestDeadlines.Pending p;
        while ((p = waiting.poll()) != null) {
            sendNow(p);
            if (connected.closed().isDone() || goAway != null) {
                return;
            }
        }
        synchronized (reconnectLock) { // where a close and a GOAWAY set it again
            if (connected.closed().isDone() || goAway != null) {
                return;
            }
            reconnecting = false;
        }
        while ((p = waiting.poll()) != null) { // queued between the last poll and the flag
            sendNow(p);
        }
    }

    /**
     * Makes {@code a} the client's connection; false if it closed already (then handled as the
     * close of the client's connection).
     */
    private boolean publish(Attempt a) {
        current = a;
        if (a.closed().isDone()) {
            onClosed(a.socket()); // its close came while it was not the client's yet
            return false;
        }
        return true;
    }

    /** The process stays swapped out: fail what waited, and let the next request try the swap-in again. */
    private void swapInFailed(PraasApiException e) {
        // Each try starts a process: the next waits 1 s, then twice as long after each failure, up to
        // a minute. Requests meanwhile fail at once, without asking the control plane.
        swapInBackoffMs = swapInBackoffMs == 0 ? SWAP_IN_BACKOFF_FIRST_MS : Math.min(SWAP_IN_BACKOFF_MAX_MS,
                swapInBackoffMs * 2);
        swapInRetryAtNanos = System.nanoTime() + swapInBackoffMs * 1_000_000L;
        swapInFailure = "process " + processId + " could not be swapped back in (" + e.detail() + ")";
        failWaitingForSwapIn();
    }

    /** Fails what waited with the last swap-in's failure (it never ran), and leaves the reconnect to the next request. */
    private void failWaitingForSwapIn() {
        RequestDeadlines.Pending p;
        while ((p = waiting.poll()) != null) {
            failWhileBackingOff(p);
        }
        goDormant();
    }

    private void failWhileBackingOff(RequestDeadlines.Pending p) {
        long inMs = Math.max(0, (swapInRetryAtNanos - System.nanoTime()) / 1_000_000L);
        p.answer().completeExceptionally(new PraasException(ErrorCode.PROCESS_UNAVAILABLE, swapInFailure
                + "; the client tries again on a request " + (inMs > 0 ? "in " + inMs + " ms or later" : "from now on")));
    }

    static final long SWAP_IN_BACKOFF_FIRST_MS = 1_000;
    static final long SWAP_IN_BACKOFF_MAX_MS = 60_000;
    /** After a swap-in that failed: the last failure, and when the next may be tried (null: none failed). */
    private volatile String swapInFailure;
    private volatile long swapInRetryAtNanos;
    private long swapInBackoffMs;

    /**
     * OPEN_SESSION with an id on the current connection, outside the waiting queue; null when it
     * worked (a session the process no longer had is opened again, and remembered as lost).
     */
    private PraasException resumeRaw(Attempt attempt, String session) {
        long id = nextRequestId.incrementAndGet();
        RequestDeadlines.Pending p = RequestDeadlines.Pending.handshake(new CompletableFuture<>(),
                connectTimeout.toMillis(), new Message.OpenSession(session));
        track(id, p);
        attempt.socket().write(FrameCodec.encode(id, p.request()));
        attempt.closed().thenRun(() -> fail(id, new PraasException(ErrorCode.PROCESS_UNAVAILABLE,
                "the new connection to process " + processId + " closed while session " + session + " resumed")));
        try {
            if (p.answer().get() instanceof Message.SessionOpened opened && !opened.resumed()) {
                LOG.warn("process {} no longer had session {} after the reconnect; its state is gone", processId, session);
                lostSessions.put(session, new LostSession());
            }
            return null;
        } catch (ExecutionException e) {
            return e.getCause() instanceof PraasException pe ? pe
                    : new PraasException(ErrorCode.PROCESS_UNAVAILABLE, String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new PraasException(ErrorCode.UNKNOWN, "interrupted");
        }
    }

    /** A connection that has shaken hands, not yet the client's: {@code closed} completes when it closes. */
    /** The client's connection's socket; null before the first is taken into use. */
    private NetSocket socket() {
        Attempt c = current;
        return c == null ? null : c.socket();
    }

    private record Attempt(NetSocket socket, CompletableFuture<Void> closed, CompletableFuture<Void> handled) {
    }

    /**
     * Connects and completes HELLO/WELCOME; on failure closes the socket and throws. The connection
     * becomes the client's ({@link #current}, whose close {@link #onClosed} acts on) only when the
     * caller makes it so: until then a close ends the attempt, nothing else.
     */
    private Attempt connectAndHello(String host, int port, String token) {
        CompletableFuture<Attempt> ready = new CompletableFuture<>();
        netClient.connect(port, host).onComplete(ar -> {
            if (ar.failed()) {
                ready.completeExceptionally(new PraasException(ErrorCode.UNKNOWN,
                        "cannot connect to process at " + host + ":" + port + ": " + ar.cause().getMessage(), ar.cause()));
                return;
            }
            NetSocket s = ar.result();
            CompletableFuture<Void> closed = new CompletableFuture<>();
            CompletableFuture<Void> handled = new CompletableFuture<>();
            if (maxFrameBytes == 0) {
                maxFrameBytes = FrameCodec.DEFAULT_MAX_FRAME_BYTES;
            }
            // A stranger gets no large buffers before its WELCOME; after it, the process's answers are
            // never larger than the limit it announces (PROTOCOL.md rule 2).
            FrameParser parser = FrameParser.decoding(MAX_FRAME_BEFORE_WELCOME, f -> onFrame(s, f),
                    e -> {
                        LOG.warn("undecodable frame from process {}: {}", processId, e.getMessage());
                        fail(e.requestId(), new PraasException(e.code(), e.getMessage()));
                    }, e -> {
                        LOG.warn("unparseable stream from process at {}:{}: {}", host, port, e.getMessage());
                        s.close();
                    }, FRAME_RESERVATIONS);
            // Netty's buffers go straight to the parser, which copies each byte once (into its frame or payload).
            ((NetSocketInternal) s).messageHandler(parser::onMessage);
            s.closeHandler(v -> {
                parser.release(); // a frame cut off by the close gives back what it reserved
                closed.complete(null);
                onClosed(s);
                handled.complete(null); // what waited for the close's handling (a request to send again)
            });
            long id = nextRequestId.incrementAndGet();
            CompletableFuture<Message> welcome = new CompletableFuture<>();
            Message hello = new Message.Hello(application, token, "", clientInfo);
            track(id, RequestDeadlines.Pending.handshake(welcome, connectTimeout.toMillis(), hello));
            s.write(FrameCodec.encode(id, hello));
            closed.thenRun(() -> {
                PraasException reported = connectionErrors.remove(s);
                fail(id, reported != null ? reported : new PraasException(ErrorCode.UNKNOWN,
                        "process at " + host + ":" + port + " closed the connection before its WELCOME"));
            });
            welcome.whenComplete((m, err) -> {
                if (err != null) {
                    s.close();
                    ready.completeExceptionally(err);
                } else if (!(m instanceof Message.Welcome w)) {
                    s.close();
                    ready.completeExceptionally(new PraasException(ErrorCode.MALFORMED_FRAME, "process at " + host
                            + ":" + port + " answered HELLO with " + m.getClass().getSimpleName() + ", not WELCOME"));
                } else {
                    parser.maxFrameBytes(Math.max(w.maxFrameBytes(), MAX_FRAME_BEFORE_WELCOME)); // on the event loop
                    processId = w.processId();
                    maxFrameBytes = w.maxFrameBytes();
                    serverInfo = w.serverInfo();
                    ready.complete(new Attempt(s, closed, handled));
                }
            });
        });
        try {
            return ready.get(connectTimeout.toMillis() + CLIENT_GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof PraasException p ? p : new PraasException(ErrorCode.UNKNOWN, String.valueOf(c), c);
        } catch (TimeoutException e) {
            ready.thenAccept(a -> a.socket().close()); // a WELCOME after the wait: not taken into use
            throw new PraasException(ErrorCode.UNKNOWN, "no WELCOME from " + host + ":" + port + " within "
                    + connectTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PraasException(ErrorCode.UNKNOWN, "interrupted while connecting", e);
        }
    }

    /** Closes the connection (sessions stay on the process and can be resumed). */
    @Override
    public void close() {
        userClosed = true;
        Thread reconnecting = reconnectThread;
        if (reconnecting != null) {
            reconnecting.interrupt(); // out of its wait for the process (locate, a back-off)
        }
        NetSocket s = socket();
        try {
            if (s != null) {
                s.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.debug("closing the connection to process {}: {}", processId, e.toString());
        }
        if (closedBy == null) {
            closedBy = new PraasException(ErrorCode.UNKNOWN, "client closed");
        }
        onClosed(socket());
        netClient.close();
        if (ownsVertx) {
            vertx.close();
        }
    }

    /**
     * Settings of a {@link ProcessClient}.
     *
     * <pre>{@code
     * ProcessClient c = ProcessClient.builder().address("10.0.0.5", 8000).application("shop")
     *         .token(token).timeout(Duration.ofSeconds(5)).connect();
     * }</pre>
     */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = -1;
        private String application = "";
        private String token = "";
        private String clientInfo = "praas-java-sdk";
        private Duration timeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Vertx vertx;
        private Reconnector reconnector;
        private Duration reconnectTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        public Builder address(String host, int port) {
            this.host = Objects.requireNonNull(host, "host");
            this.port = port;
            return this;
        }

        /** The application of the process ("" = whichever the process runs). */
        public Builder application(String application) {
            this.application = Objects.requireNonNull(application, "application");
            return this;
        }

        /** The data-plane token issued by the control plane ("" only for a process in dev mode). */
        public Builder token(String token) {
            this.token = Objects.requireNonNull(token, "token");
            return this;
        }

        public Builder clientInfo(String clientInfo) {
            this.clientInfo = Objects.requireNonNull(clientInfo, "clientInfo");
            return this;
        }

        /** Default timeout of each request (30 s). */
        public Builder timeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("timeout must be between 1 ms and 2^32-1 ms");
            }
            this.timeout = timeout;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("connectTimeout must be between 1 ms and 2^31-1 ms");
            }
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * Makes the client survive its process going away (swap-out, restart): it asks
         * {@code reconnector} where the process is, reconnects, resumes its sessions, and sends
         * again the requests that never started; requests that were in flight fail with
         * PROCESS_UNAVAILABLE, since they may or may not have run. Requests made meanwhile wait.
         */
        public Builder reconnector(Reconnector reconnector) {
            this.reconnector = reconnector;
            return this;
        }

        /** How long a client with a reconnector keeps trying (60 s). */
        public Builder reconnectTimeout(Duration reconnectTimeout) {
            this.reconnectTimeout = Objects.requireNonNull(reconnectTimeout, "reconnectTimeout");
            return this;
        }

        /** Shares a Vert.x instance instead of starting one for this client. */
        public Builder vertx(Vertx vertx) {
            this.vertx = vertx;
            return this;
        }

        /** Connects and completes the HELLO/WELCOME handshake. @throws PraasException when refused */
        public ProcessClient connect() {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("address(host, port) with a port in 0..65535 is required");
            }
            if (io.vertx.core.Context.isOnEventLoopThread()) {
                throw new IllegalStateException("connect() blocks; call it off the event loop");
            }
            ProcessClient client = new ProcessClient(this);
            RequestDeadlines.watch(client);
            try {
                client.publish(client.connectAndHello(host, port, token));
            } catch (PraasException e) {
                client.close();
                throw e;
            }
            return client;
        }
    }
}
