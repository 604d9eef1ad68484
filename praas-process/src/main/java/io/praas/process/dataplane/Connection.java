package io.praas.process.dataplane;

import io.praas.process.auth.HelloAuthenticator;
import io.praas.process.invocation.InvocationException;
import io.praas.process.session.Session;
import io.praas.process.session.SessionRegistry;
import io.praas.process.session.TooManySessionsException;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.FrameParser;
import io.praas.protocol.GoAwayReason;
import io.praas.protocol.Message;
import io.praas.protocol.MessageType;
import io.praas.protocol.ProtocolException;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One data-plane connection: the rules of PROTOCOL.md for a process. Frames arrive on the event
 * loop; answers are written from whichever thread completes them.
 */
final class Connection {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    private final DataPlane plane;
    private final NetSocket socket;
    /** Requests in flight by requestId (rule 4); touched by the event loop and by workers. */
    private final Map<Long, CompletableFuture<byte[]>> inFlight = new ConcurrentHashMap<>();
    /** Largest frame before WELCOME: a HELLO is small, and strangers get no large buffers. */
    static final int MAX_FRAME_BEFORE_WELCOME = 64 * 1024;

    private final FrameParser parser;
    /** The socket's place in its Netty pipeline, for answers written in batches ({@link #answer(Buffer)}). */
    private final ChannelHandlerContext channel;
    private final java.util.Queue<Buffer> answers = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean flushScheduled = new java.util.concurrent.atomic.AtomicBoolean();
    private boolean welcomed;
    private volatile boolean toldToGoAway;
    private String peerId = "";
    private volatile boolean closing;

    Connection(DataPlane plane, NetSocket socket) {
        this.plane = plane;
        this.socket = socket;
        this.parser = FrameParser.decoding(Math.min(plane.maxFrameBytes, MAX_FRAME_BEFORE_WELCOME), this::onFrame,
                this::onMalformed, this::onFatal, plane.frameReservations);
        // Netty's buffers go straight to the parser, which copies each byte once (into its frame or payload).
        ((NetSocketInternal) socket).messageHandler(parser::onMessage);
        this.channel = ((NetSocketInternal) socket).channelHandlerContext();
        socket.exceptionHandler(e -> LOG.debug("connection from {}: {}", socket.remoteAddress(), e.toString()));
        // Backpressure: while answers wait for a peer that does not read them, its requests are not
        // read either (see readLess); they are read again once the answers have drained.
        channel.pipeline().addFirst("praas-read-again", new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (ctx.channel().isWritable()) {
                    ctx.channel().config().setAutoRead(true);
                }
                ctx.fireChannelWritabilityChanged();
            }
        });
        // A dialler that has not said HELLO within HELLO_TIMEOUT holds no connection. Cancelled on
        // WELCOME and on close: the task holds this connection, which must not outlive its socket.
        helloTimeout = channel.executor().schedule(() -> {
            if (!welcomed && !closing) {
                closeWith(0, error(ErrorCode.HANDSHAKE_REQUIRED, "no HELLO within " + HELLO_TIMEOUT.toSeconds() + " s"));
            }
        }, HELLO_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private final io.netty.util.concurrent.ScheduledFuture<?> helloTimeout;

    /** How long a new connection may take to send its HELLO. */
    static final java.time.Duration HELLO_TIMEOUT = java.time.Duration.ofSeconds(10);

    /** On the event loop, after a write: stops reading the peer's requests while its answers pile up unread. */
    private void readLess() {
        if (!channel.channel().isWritable()) {
            channel.channel().config().setAutoRead(false);
        }
    }

    private void onFatal(ProtocolException e) {
        LOG.debug("closing connection from {}: {}", socket.remoteAddress(), e.getMessage());
        closeWith(0, new Message.Error(e.code(), e.getMessage()));
    }

    private void onMalformed(ProtocolException e) {
        if (!welcomed) {
            // Rule 1: nothing but a HELLO before WELCOME (a wrong version is still named as such).
            closeWith(e.requestId(), e.code() == ErrorCode.UNSUPPORTED_VERSION
                    ? new Message.Error(e.code(), e.getMessage())
                    : error(ErrorCode.HANDSHAKE_REQUIRED, "the first frame must be a HELLO: " + e.getMessage()));
            return;
        }
        send(e.requestId(), new Message.Error(e.code(), e.getMessage()));
    }

    private void onFrame(Frame frame) {
        if (closing) {
            return; // after a refusal that closes the connection: nothing more is served
        }
        try {
            serve(frame);
        } catch (RuntimeException e) {
            // A failure serving one frame (a journal that cannot be written, say) answers that
            // frame; the parser and the connection go on at the next frame.
            LOG.error("serving a frame of type 0x{} from {} failed", Integer.toHexString(frame.message().type()),
                    socket.remoteAddress(), e);
            if (frame.requestId() != 0) {
                send(frame.requestId(), error(ErrorCode.PROCESS_UNAVAILABLE, "the request failed in the process: " + e));
            }
        }
    }

    private void serve(Frame frame) {
        long rid = frame.requestId();
        Message m = frame.message();
        if (!welcomed) {
            if (m instanceof Message.Hello hello) {
                onHello(rid, hello);
            } else {
                closeWith(rid, new Message.Error(ErrorCode.HANDSHAKE_REQUIRED, "the first frame must be HELLO"));
            }
            return;
        }
        if (rid != 0 && inFlight.containsKey(rid) && isRequest(m)) {
            send(rid, error(ErrorCode.DUPLICATE_REQUEST_ID, "requestId " + rid + " is in flight already"));
            return;
        }
        switch (m.type()) {
            case MessageType.INVOKE -> onInvoke(rid, (Message.Invoke) m);
            case MessageType.OPEN_SESSION -> onOpenSession(rid, (Message.OpenSession) m);
            case MessageType.CLOSE_SESSION -> onCloseSession(rid, (Message.CloseSession) m);
            case MessageType.PING -> send(rid, new Message.Pong(((Message.Ping) m).data()));
            case MessageType.HELLO -> send(rid, error(ErrorCode.INVALID_ARGUMENT, "HELLO was already accepted"));
            case MessageType.MESSAGE -> onMessage(rid, (Message.PeerMessage) m);
            case MessageType.OK, MessageType.PONG -> { }
            case MessageType.ERROR -> LOG.debug("client {} reported {}", socket.remoteAddress(), m);
            default -> send(rid, error(ErrorCode.UNKNOWN_TYPE,
                    String.format("type 0x%02X is not a request a process serves", m.type())));
        }
    }

    private static boolean isRequest(Message m) {
        int t = m.type();
        return t == MessageType.INVOKE || t == MessageType.OPEN_SESSION || t == MessageType.CLOSE_SESSION
                || t == MessageType.PING || t == MessageType.MESSAGE;
    }

    private void onHello(long rid, Message.Hello hello) {
        boolean starting = plane.starting();
        if (starting || plane.draining()) {
            closeWith(rid, error(ErrorCode.PROCESS_UNAVAILABLE, "process " + plane.processId
                    + (starting ? " is starting (restoring its state)" : " is going away")));
            return;
        }
        HelloAuthenticator.Refusal refusal = plane.authenticator.check(hello);
        if (refusal != null) {
            LOG.info("refused HELLO from {}: {}", socket.remoteAddress(), refusal.message());
            closeWith(rid, error(refusal.code(), refusal.message()));
            return;
        }
        welcomed = true;
        helloTimeout.cancel(false);
        peerId = hello.peerId();
        parser.maxFrameBytes(plane.maxFrameBytes);
        send(rid, new Message.Welcome(plane.processId, plane.maxFrameBytes, plane.serverInfo));
    }

    private void onInvoke(long rid, Message.Invoke m) {
        if (rid == 0) {
            send(0, error(ErrorCode.INVALID_ARGUMENT, "INVOKE needs a non-zero requestId"));
            return;
        }
        if (plane.draining()) {
            refuseNotStarted(rid);
            return;
        }
        if (m.function().isEmpty()) {
            send(rid, error(ErrorCode.INVALID_ARGUMENT, "function name must not be empty"));
            return;
        }
        Session session = null;
        if (!m.sessionId().isEmpty()) {
            session = plane.sessions.get(m.sessionId());
            if (session == null) {
                send(rid, error(ErrorCode.SESSION_NOT_FOUND, "no session " + m.sessionId()
                        + " (never opened, closed or expired); open it with OPEN_SESSION"));
                return;
            }
        }
        long timeoutMs = m.timeoutMs() == 0 ? plane.defaultTimeoutMs : Math.min(m.timeoutMs(), plane.maxTimeoutMs);
        CompletableFuture<byte[]> result;
        try {
            result = plane.invoker.submit(m.function(), session, m.input(), timeoutMs);
        } catch (InvocationException e) {
            send(rid, error(e.code(), e.getMessage()));
            return;
        }
        inFlight.put(rid, result);
        result.whenComplete((output, err) -> {
            // Removed before the answer is written, so the client may reuse the id once it has it.
            inFlight.remove(rid);
            if (err == null) {
                if (output.length > plane.maxFrameBytes - FrameCodec.MIN_LENGTH) {
                    answer(rid, error(ErrorCode.FUNCTION_FAILED, "output of " + m.function() + " is " + output.length
                            + " bytes; a RESULT frame of at most " + plane.maxFrameBytes + " bytes holds at most "
                            + (plane.maxFrameBytes - FrameCodec.MIN_LENGTH)));
                } else if (!closing) {
                    // The function handed its output over: written from its array, not a copy.
                    answer(FrameCodec.encodeSharingPayload(rid, new Message.Result(output)));
                }
            } else if (err instanceof InvocationException e) {
                answer(rid, error(e.code(), e.getMessage()));
            } else {
                answer(rid, error(ErrorCode.FUNCTION_FAILED, err.toString()));
            }
        });
    }

    private void answer(long requestId, Message message) {
        if (!closing) {
            answer(FrameCodec.encode(requestId, message));
        }
    }

    /**
     * Writes an invocation's answer from the thread that finished it. Answers are queued and the
     * event loop writes every answer queued by then with one flush (one system call), instead of one
     * task and one flush per answer.
     */
    private void answer(Buffer frame) {
        answers.add(frame);
        if (flushScheduled.compareAndSet(false, true)) {
            channel.executor().execute(this::writeAnswers);
        }
    }

    private void writeAnswers() {
        flushScheduled.set(false);
        boolean wrote = false;
        Buffer frame;
        while ((frame = answers.poll()) != null) {
            channel.write(((BufferInternal) frame).getByteBuf(), channel.voidPromise());
            wrote = true;
        }
        if (wrote) {
            channel.flush();
            readLess();
        }
    }

    /** PROTOCOL.md rule 8: OK only once the message is in the mailbox (and journaled, with a journal). */
    private void onMessage(long rid, Message.PeerMessage m) {
        if (peerId.isEmpty()) {
            send(rid, error(ErrorCode.FORBIDDEN, "MESSAGE is accepted only from peer processes (a HELLO with a peerId)"));
            return;
        }
        if (!m.fromProcess().equals(peerId)) {
            send(rid, error(ErrorCode.FORBIDDEN, "MESSAGE from '" + m.fromProcess() + "' on the connection of peer '"
                    + peerId + "'"));
            return;
        }
        if (m.key().isEmpty() || m.key().length() > io.praas.process.messaging.Messaging.MAX_KEY_CHARS) {
            send(rid, error(ErrorCode.INVALID_ARGUMENT, "a message key must have 1 to "
                    + io.praas.process.messaging.Messaging.MAX_KEY_CHARS + " characters"));
            return;
        }
        if (plane.draining()) {
            refuseNotStarted(rid); // the snapshot is being written: the sender delivers it after the swap
            return;
        }
        try {
            plane.mailbox.deliver(m.fromProcess(), m.key(), m.data());
        } catch (io.praas.client.PraasException e) {
            if (e.code() == ErrorCode.PROCESS_UNAVAILABLE) {
                refuseNotStarted(rid); // sealed for a snapshot
            } else {
                send(rid, error(e.code(), e.detail()));
            }
            return;
        } catch (RuntimeException e) {
            LOG.error("storing a message from {} failed", peerId, e);
            send(rid, error(ErrorCode.PROCESS_UNAVAILABLE, "the message could not be stored: " + e));
            return;
        }
        if (rid != 0) {
            send(rid, new Message.Ok());
        }
    }

    private void onOpenSession(long rid, Message.OpenSession m) {
        if (plane.draining()) {
            refuseNotStarted(rid);
            return;
        }
        try {
            SessionRegistry.Opened opened = plane.sessions.open(m.sessionId());
            send(rid, new Message.SessionOpened(opened.session().id(), opened.resumed()));
        } catch (IllegalArgumentException e) {
            send(rid, error(ErrorCode.INVALID_ARGUMENT, e.getMessage()));
        } catch (TooManySessionsException e) {
            send(rid, error(ErrorCode.OVERLOADED, e.getMessage()));
        }
    }

    private void onCloseSession(long rid, Message.CloseSession m) {
        if (plane.draining()) {
            refuseNotStarted(rid); // after a swap, the swapped-in process closes it
            return;
        }
        SessionRegistry.Closing done = plane.sessions.tryCloseUnlessSealed(m.sessionId());
        if (done == SessionRegistry.Closing.BUSY) {
            // A function of the session is writing its state (a long compute, say): the closing
            // waits for that write on a thread of its own, not on the event loop.
            java.util.concurrent.CompletableFuture.supplyAsync(() -> plane.sessions.closeUnlessSealed(m.sessionId()), CLOSING)
                    .whenComplete((closing, err) -> channel.executor().execute(() -> answerClose(rid, m.sessionId(), closing, err)));
            return;
        }
        answerClose(rid, m.sessionId(), done, null);
    }

    /** Closings that wait for a write of the session's state. */
    private static final java.util.concurrent.Executor CLOSING = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "praas-session-close");
        t.setDaemon(true);
        return t;
    });

    private void answerClose(long rid, String sessionId, SessionRegistry.Closing done, Throwable failed) {
        if (failed != null) {
            send(rid, error(ErrorCode.PROCESS_UNAVAILABLE, "session " + sessionId + " was not closed: " + failed));
            return;
        }
        switch (done) {
            case SEALED -> refuseNotStarted(rid); // it got past the drain's check as the snapshot began
            case CLOSED -> send(rid, new Message.Ok());
            default -> send(rid, error(ErrorCode.SESSION_NOT_FOUND, "no session " + sessionId));
        }
    }

    private Message.Error error(ErrorCode code, String message) {
        return new Message.Error(code, message == null ? "" : truncate(message));
    }

    /**
     * At most 16k characters (a str holds at most 65535 UTF-8 bytes), and few enough that the ERROR
     * frame fits the limit this process announced (rule 2): a message that quotes a long name or
     * session id the dialler sent could otherwise make it longer than a frame the dialler accepts.
     */
    private String truncate(String s) {
        int fits = (int) Math.min(16_000, (plane.maxFrameBytes - FrameCodec.HEADER_BYTES - 4) / 3 - 1);
        if (s.length() <= fits) {
            return s;
        }
        return s.substring(0, Character.isHighSurrogate(s.charAt(fits - 1)) ? fits - 1 : fits) + "\u2026";
    }

    void send(long requestId, Message message) {
        if (!closing) {
            socket.write(FrameCodec.encode(requestId, message));
            if (channel.executor().inEventLoop()) {
                readLess();
            }
        }
    }

    /** ERROR 15 flagged NOT_STARTED: the request did not run, so the client may send it again elsewhere. */
    private void refuseNotStarted(long rid) {
        if (!closing) {
            socket.write(FrameCodec.encode(rid, FrameCodec.FLAG_NOT_STARTED, error(ErrorCode.PROCESS_UNAVAILABLE,
                    "process " + plane.processId + " is going away; the request did not start")));
        }
    }

    /** Answers one last frame, then closes: for a stream or a peer that can no longer be trusted. */
    private void closeWith(long requestId, Message message) {
        if (closing) {
            return;
        }
        closing = true;
        socket.write(FrameCodec.encode(requestId, message)).onComplete(ar -> socket.close());
    }

    void goAway(GoAwayReason reason, String detail) {
        toldToGoAway = true;
        send(0, new Message.GoAway(reason, detail));
    }

    /** Whether this connection was sent GOAWAY (its client is waiting to move on). */
    boolean toldToGoAway() {
        return toldToGoAway;
    }

    void failInFlight(String why) {
        for (CompletableFuture<byte[]> f : inFlight.values()) {
            f.completeExceptionally(new InvocationException(ErrorCode.PROCESS_UNAVAILABLE, why));
        }
    }

    void close() {
        closing = true;
        socket.close();
    }

    void onClosed() {
        closing = true;
        helloTimeout.cancel(false);
        parser.release(); // a frame cut off by the close gives back what it reserved
        // The requester is gone; invocations still finish (their state writes stand) but answer no one.
        inFlight.clear();
    }
}
