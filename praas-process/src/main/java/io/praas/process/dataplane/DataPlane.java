package io.praas.process.dataplane;

import io.praas.process.auth.HelloAuthenticator;
import io.praas.process.invocation.Invoker;
import io.praas.process.messaging.Mailbox;
import io.praas.process.session.SessionRegistry;
import io.praas.protocol.FrameParser;
import io.praas.protocol.GoAwayReason;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process's data-plane TCP server: a Vert.x NetServer whose connections decode frames on the
 * event loop and hand invocations to the {@link Invoker}.
 */
public final class DataPlane {
    private static final Logger LOG = LoggerFactory.getLogger(DataPlane.class);

    final String processId;
    final String serverInfo;
    final int maxFrameBytes;
    final long defaultTimeoutMs;
    final long maxTimeoutMs;
    final HelloAuthenticator authenticator;
    final SessionRegistry sessions;
    final Invoker invoker;
    final Mailbox mailbox;
    /**
     * What all connections' frames in progress may hold reserved on their claimed lengths: a
     * quarter of the heap. Past it, a large frame's buffer grows only as its bytes arrive.
     */
    final FrameParser.Reservations frameReservations = new FrameParser.Reservations(Runtime.getRuntime().maxMemory() / 4);
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;
    /** True while the process starts (restores its state): it already listens, and refuses as not started. */
    private volatile boolean starting;
    private NetServer server;

    public DataPlane(String processId, String serverInfo, int maxFrameBytes, long defaultTimeoutMs, long maxTimeoutMs,
                     HelloAuthenticator authenticator, SessionRegistry sessions, Invoker invoker, Mailbox mailbox) {
        this.processId = processId;
        this.serverInfo = serverInfo;
        this.maxFrameBytes = maxFrameBytes;
        this.defaultTimeoutMs = defaultTimeoutMs;
        this.maxTimeoutMs = maxTimeoutMs;
        this.authenticator = authenticator;
        this.sessions = sessions;
        this.invoker = invoker;
        this.mailbox = mailbox;
    }

    /** Starts listening; the future holds the bound port. */
    public Future<Integer> listen(Vertx vertx, String host, int port) {
        server = vertx.createNetServer(new NetServerOptions()
                .setHost(host)
                .setPort(port)
                .setTcpNoDelay(true)
                .setReuseAddress(true));
        server.connectHandler(this::accept);
        return server.listen().map(NetServer::actualPort);
    }

    private void accept(NetSocket socket) {
        Connection c = new Connection(this, socket);
        connections.add(c);
        socket.closeHandler(v -> {
            connections.remove(c);
            c.onClosed();
        });
    }

    /**
     * True once the process is stopping or swapping out: new requests get PROCESS_UNAVAILABLE.
     * (While it starts no connection gets past HELLO: see {@link #starting()}.)
     */
    boolean draining() {
        return draining;
    }

    /** True until {@link #ready()} after {@link #refuseUntilReady()}: HELLO is refused and the connection closed. */
    boolean starting() {
        return starting;
    }

    /**
     * Refuses every request until {@link #ready()}: so the process can listen while it still
     * restores its snapshot or journal.
     */
    public void refuseUntilReady() {
        starting = true;
    }

    /** The process is ready (its state in place): requests are served. */
    public void ready() {
        starting = false;
    }

    /** Sends GOAWAY to every connection and refuses new requests from now on. */
    public void goAway(GoAwayReason reason, String detail) {
        draining = true;
        for (Connection c : connections) {
            c.goAway(reason, detail);
        }
        LOG.info("process {} sent GOAWAY ({}) to {} connections", processId, reason, connections.size());
    }

    /**
     * Serves again after a swap-out that failed. The connections that were sent GOAWAY are closed
     * (what they had in flight was answered in the drain): their clients hold new requests until
     * the connection ends, and reconnect then.
     */
    public void resume() {
        draining = false;
        int closed = 0;
        for (Connection c : connections) {
            if (c.toldToGoAway()) {
                c.close();
                closed++;
            }
        }
        LOG.info("process {} serves again; closed the {} connections it had sent GOAWAY", processId, closed);
    }

    /** Fails every request still in flight with PROCESS_UNAVAILABLE. */
    public void failInFlight(String why) {
        for (Connection c : connections) {
            c.failInFlight(why);
        }
    }

    /** Closes every connection and the server. */
    public Future<Void> close() {
        for (Connection c : connections) {
            c.close();
        }
        return server == null ? Future.succeededFuture() : server.close();
    }
}
