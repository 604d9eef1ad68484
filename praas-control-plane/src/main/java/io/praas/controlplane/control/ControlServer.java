package io.praas.controlplane.control;

import io.praas.auth.DataPlaneToken;
import io.praas.auth.InvalidTokenException;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.FrameParser;
import io.praas.protocol.Message;
import io.praas.protocol.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The control-plane end of processes' control channels (docs/PROTOCOL.md, "Control channel"):
 * accepts REGISTER (checked against the control token the control plane issued for that process)
 * and HEARTBEAT frames, and tells the {@link Listener} about registrations, metrics and lost
 * channels. Frames are handled on the event loop; the listener must not block it.
 */
public final class ControlServer {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private static final int MAX_FRAME_BYTES = 64 * 1024;

    /** What happens on the channels. */
    public interface Listener {
        /** A process registered; complete with null to accept, or an error message to refuse. */
        Future<String> registered(String application, String processId, String incarnation, String dataHost,
                                  int dataPort);

        void heartbeat(String application, String processId, Message.Heartbeat metrics);

        /** The channel of a registered process closed. */
        void lost(String application, String processId);

        /** A process started to swap in could not restore its snapshot (it exits once this completes). */
        Future<Void> restoreFailed(String application, String processId, String incarnation, String reason);

        /**
         * Process {@code requester} asks for {@code target} of its application to be swapped in (a
         * message waits for it); complete with OK once it is ACTIVE, or an ERROR.
         */
        Future<Message> swapInRequested(String application, String requester, String target);

        /** A process registered: it needs its world. */
        default void channelOpened(String application, String processId) {
        }
    }

    private final byte[] controlSecret;
    private final Listener listener;
    private final Map<String, NetSocket> channels = new ConcurrentHashMap<>();
    /**
     * Processes whose REGISTER is being accepted: the registry may show them ACTIVE (and a caller
     * ask for a swap-out) a moment before their channel is in {@link #channels}; a request waits.
     */
    private final Map<String, io.vertx.core.Promise<NetSocket>> registering = new ConcurrentHashMap<>();
    /** The channels of processes that take SWAP_OUT's idle condition (their REGISTER said so). */
    private final java.util.Set<NetSocket> ifIdleAware = ConcurrentHashMap.newKeySet();
    /** Requests to processes waiting for their answer, by channel and requestId. */
    private final Map<NetSocket, Map<Long, io.vertx.core.Promise<Message>>> requests = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong nextRequestId = new java.util.concurrent.atomic.AtomicLong(1_000);
    private NetServer server;

    public ControlServer(String controlSecret, Listener listener) {
        this.controlSecret = controlSecret.getBytes(StandardCharsets.UTF_8);
        this.listener = listener;
    }

    /**
     * The token one incarnation of a process registers with: it names the incarnation (the start that
     * launched it), so a token of an earlier one, of a process deleted and created again say, cannot
     * register over a later one.
     */
    public static String issueToken(String controlSecret, String application, String processId, String incarnation) {
        return DataPlaneToken.issue(controlSecret.getBytes(StandardCharsets.UTF_8), application,
                processId + "/" + incarnation, Instant.now().plusSeconds(365L * 24 * 3600));
    }

    public Future<Integer> listen(Vertx vertx, String host, int port) {
        server = vertx.createNetServer(new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true));
        server.connectHandler(this::accept);
        return server.listen().map(NetServer::actualPort);
    }

    public int connectedProcesses() {
        return channels.size();
    }

    /** The applications with a process whose channel this node holds. */
    public java.util.Set<String> applications() {
        java.util.Set<String> apps = new java.util.HashSet<>();
        for (String key : channels.keySet()) {
            apps.add(key.substring(0, key.indexOf('/')));
        }
        return apps;
    }

    private void accept(NetSocket socket) {
        String[] registeredAs = new String[2];
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        socket.handler(new FrameParser(MAX_FRAME_BYTES, (Buffer b) -> {
            Frame f;
            try {
                f = FrameCodec.decode(b);
            } catch (ProtocolException e) {
                socket.write(FrameCodec.encode(e.requestId(), new Message.Error(e.code(), e.getMessage())));
                return;
            }
            if (f.message() instanceof Message.Register r) {
                onRegister(socket, f.requestId(), r, registeredAs, closed);
            } else if (f.message() instanceof Message.RestoreFailed rf && registeredAs[0] == null) {
                onRestoreFailed(socket, f.requestId(), rf);
            } else if (f.message() instanceof Message.Heartbeat h && registeredAs[0] != null) {
                listener.heartbeat(registeredAs[0], registeredAs[1], h);
            } else if (f.message() instanceof Message.SwapIn si && registeredAs[0] != null) {
                long rid = f.requestId();
                listener.swapInRequested(registeredAs[0], registeredAs[1], si.processId()).onComplete(ar ->
                        socket.write(FrameCodec.encode(rid, ar.succeeded() ? ar.result()
                                : new Message.Error(ErrorCode.PROCESS_UNAVAILABLE, String.valueOf(ar.cause().getMessage())))));
            } else if (registeredAs[0] != null && f.requestId() != 0) {
                if (f.message() instanceof Message.Swapped) {
                    // The process exits next: its closing channel is no failure.
                    channels.remove(key(registeredAs[0], registeredAs[1]), socket);
                }
                io.vertx.core.Promise<Message> p = requests.getOrDefault(socket, Map.of()).remove(f.requestId());
                if (p != null) {
                    p.tryComplete(f.message());
                }
            } else if (registeredAs[0] == null) {
                refuse(socket, f.requestId(), ErrorCode.HANDSHAKE_REQUIRED, "the first frame must be REGISTER");
            }
        }, e -> refuse(socket, 0, e.code(), e.getMessage())));
        socket.closeHandler(v -> {
            closed.set(true);
            ifIdleAware.remove(socket);
            Map<Long, io.vertx.core.Promise<Message>> waiting = requests.remove(socket);
            if (waiting != null) {
                waiting.values().forEach(p -> p.tryFail("the process's control channel closed"));
            }
            if (registeredAs[0] != null && channels.remove(key(registeredAs[0], registeredAs[1]), socket)) {
                listener.lost(registeredAs[0], registeredAs[1]);
            }
        });
    }

    private void onRegister(NetSocket socket, long rid, Message.Register r, String[] registeredAs,
                            java.util.concurrent.atomic.AtomicBoolean closed) {
        if (registeredAs[0] != null) {
            refuse(socket, rid, ErrorCode.INVALID_ARGUMENT, "this channel's process registered already");
            return;
        }
        String incarnation = incarnationOf(socket, rid, r.token(), r.application(), r.processId());
        if (incarnation == null) {
            return;
        }
        String key = key(r.application(), r.processId());
        io.vertx.core.Promise<NetSocket> ready = io.vertx.core.Promise.promise();
        registering.put(key, ready);
        listener.registered(r.application(), r.processId(), incarnation, r.dataHost(), r.dataPort()).onComplete(ar -> {
            if (ar.failed() || ar.result() != null) {
                registering.remove(key, ready);
                ready.tryFail("process " + key + " was refused: " + (ar.failed() ? ar.cause().getMessage() : ar.result()));
                refuse(socket, rid, ErrorCode.FORBIDDEN, ar.failed() ? ar.cause().getMessage() : ar.result());
                return;
            }
            if (closed.get()) { // closed while it registered: no channel to keep, and the process is gone
                registering.remove(key, ready);
                ready.tryFail("the control channel of process " + key + " closed while it registered");
                listener.lost(r.application(), r.processId());
                return;
            }
            registeredAs[0] = r.application();
            registeredAs[1] = r.processId();
            if (java.util.Arrays.asList(r.runtimeInfo().split(" ")).contains(Message.SwapOut.IF_IDLE_CAPABILITY)) {
                ifIdleAware.add(socket);
            }
            NetSocket previous = channels.put(key(r.application(), r.processId()), socket);
            if (previous != null && previous != socket) {
                previous.close();
            }
            socket.write(FrameCodec.encode(rid, new Message.Ok()));
            registering.remove(key, ready);
            ready.tryComplete(socket); // after the OK: a request it held follows it on the wire
            listener.channelOpened(r.application(), r.processId());
        });
    }

    /**
     * True when the process's channel is on this node and its REGISTER said it takes SWAP_OUT's
     * idle condition (a process of an earlier build would not decode it).
     */
    public boolean takesIdleCondition(String application, String processId) {
        NetSocket socket = channels.get(key(application, processId));
        return socket != null && ifIdleAware.contains(socket);
    }

    /** Sends a WORLD to every process of {@code application} whose channel this node holds; returns how many. */
    public int pushWorld(String application, Message.World world) {
        String prefix = application + "/";
        io.vertx.core.buffer.Buffer frame = FrameCodec.encode(0, world);
        int n = 0;
        for (Map.Entry<String, NetSocket> e : channels.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                if (e.getValue().writeQueueFull()) {
                    continue; // it does not read: no more WORLDs pile up for it (a later push brings the newest)
                }
                e.getValue().write(frame.copy());
                n++;
            }
        }
        return n;
    }

    /**
     * Sends a request (such as SWAP_OUT) to a process registered on this node and completes with
     * its answer; fails when the process has no channel here or the channel closes first.
     */
    public Future<Message> request(String application, String processId, Message request) {
        NetSocket socket = channels.get(key(application, processId));
        if (socket == null) {
            io.vertx.core.Promise<NetSocket> ready = registering.get(key(application, processId));
            if (ready != null) { // ACTIVE in the registry a moment before its channel is kept here
                return ready.future().compose(s -> send(s, request));
            }
            return Future.failedFuture("process " + application + "/" + processId + " has no control channel on this node");
        }
        return send(socket, request);
    }

    private Future<Message> send(NetSocket socket, Message request) {
        long rid = nextRequestId.incrementAndGet();
        io.vertx.core.Promise<Message> answer = io.vertx.core.Promise.promise();
        requests.computeIfAbsent(socket, s -> new ConcurrentHashMap<>()).put(rid, answer);
        socket.write(FrameCodec.encode(rid, request));
        return answer.future();
    }

    private void onRestoreFailed(NetSocket socket, long rid, Message.RestoreFailed rf) {
        String incarnation = incarnationOf(socket, rid, rf.token(), rf.application(), rf.processId());
        if (incarnation == null) {
            return;
        }
        // OK only once the registry knows, so the exit that follows is not taken for a failure.
        listener.restoreFailed(rf.application(), rf.processId(), incarnation, rf.reason())
                .onComplete(ar -> socket.write(FrameCodec.encode(rid, new Message.Ok())).onComplete(v -> socket.close()));
    }

    /**
     * The incarnation a control token names, if it verifies and is for this process; else refuses
     * the channel and returns null.
     */
    private String incarnationOf(NetSocket socket, long rid, String token, String application, String processId) {
        try {
            DataPlaneToken t = DataPlaneToken.verify(controlSecret, token, Instant.now());
            int slash = t.process().indexOf('/');
            if (!t.application().equals(application) || slash < 0 || !t.process().substring(0, slash).equals(processId)) {
                refuse(socket, rid, ErrorCode.FORBIDDEN, "the control token is not for this process");
                return null;
            }
            return t.process().substring(slash + 1);
        } catch (InvalidTokenException e) {
            refuse(socket, rid, ErrorCode.UNAUTHENTICATED, e.getMessage());
            return null;
        }
    }

    private static void refuse(NetSocket socket, long rid, ErrorCode code, String message) {
        LOG.info("refused control channel from {}: {} {}", socket.remoteAddress(), code, message);
        socket.write(FrameCodec.encode(rid, new Message.Error(code, message))).onComplete(v -> socket.close());
    }

    private static String key(String application, String processId) {
        return application + "/" + processId;
    }

    public Future<Void> close() {
        channels.values().forEach(NetSocket::close);
        return server == null ? Future.succeededFuture() : server.close();
    }
}
