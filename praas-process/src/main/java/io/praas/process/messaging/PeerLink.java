package io.praas.process.messaging;

import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.FrameParser;
import io.praas.protocol.Message;
import io.praas.protocol.ProtocolException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection from this process to a peer process: HELLO with an application token and this
 * process's id as peerId, then multiplexed requests (MESSAGE, INVOKE) answered by requestId.
 * A GOAWAY or a close makes it {@linkplain #usable() unusable}; requests still in flight when it
 * closes fail with {@link LinkClosedException}.
 */
final class PeerLink {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);

    /** The link closed with the request in flight: the peer may or may not have processed it. */
    static final class LinkClosedException extends RuntimeException {
        /** True when the request reached the wire before the link closed. */
        final boolean written;

        LinkClosedException(String message, boolean written) {
            super(message, null, false, false);
            this.written = written;
        }
    }

    final String processId;
    final String host;
    final int port;
    private final Map<Long, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile NetSocket socket;
    private volatile boolean usable = true;
    private volatile long maxFrameBytes = FrameCodec.DEFAULT_MAX_FRAME_BYTES;

    private PeerLink(String processId, String host, int port) {
        this.processId = processId;
        this.host = host;
        this.port = port;
    }

    /** Dials and shakes hands; completes with a usable link or fails with the peer's refusal. */
    static CompletableFuture<PeerLink> connect(NetClient client, String processId, String host, int port,
                                               Message.Hello hello) {
        PeerLink link = new PeerLink(processId, host, port);
        CompletableFuture<PeerLink> welcomed = new CompletableFuture<>();
        client.connect(port, host).onComplete(ar -> {
            if (ar.failed()) {
                welcomed.completeExceptionally(new LinkClosedException("cannot connect to process " + processId + " at "
                        + host + ":" + port + ": " + ar.cause().getMessage(), false));
                return;
            }
            NetSocket s = ar.result();
            link.socket = s;
            s.handler(new FrameParser(FrameCodec.DEFAULT_MAX_FRAME_BYTES, (Buffer b) -> link.onFrame(b, welcomed),
                    e -> s.close()));
            s.closeHandler(v -> link.onClose(welcomed));
            s.write(FrameCodec.encode(0, hello));
        });
        return welcomed;
    }

    private void onFrame(Buffer bytes, CompletableFuture<PeerLink> welcomed) {
        Frame f;
        try {
            f = FrameCodec.decode(bytes);
        } catch (ProtocolException e) {
            LOG.warn("undecodable frame from process {}: {}", processId, e.getMessage());
            return;
        }
        Message m = f.message();
        if (!welcomed.isDone()) {
            if (m instanceof Message.Welcome w) {
                maxFrameBytes = w.maxFrameBytes();
                welcomed.complete(this);
            } else if (m instanceof Message.Error e) {
                usable = false;
                welcomed.completeExceptionally(new io.praas.client.PraasException(e.code(),
                        "process " + processId + " refused this process: " + e.message()));
            }
            return;
        }
        if (m instanceof Message.GoAway) {
            usable = false; // answers to what is in flight still come; new requests go elsewhere
            return;
        }
        if (f.requestId() == 0) {
            if (m instanceof Message.Error e) {
                LOG.debug("process {} reported {}", processId, e);
            }
            return;
        }
        CompletableFuture<Frame> answer = pending.remove(f.requestId());
        if (answer != null) {
            answer.complete(f);
        }
    }

    private void onClose(CompletableFuture<PeerLink> welcomed) {
        usable = false;
        welcomed.completeExceptionally(new LinkClosedException("process " + processId + " closed the connection", false));
        for (Long id : pending.keySet()) {
            CompletableFuture<Frame> f = pending.remove(id);
            if (f != null) {
                f.completeExceptionally(new LinkClosedException("connection to process " + processId + " closed", true));
            }
        }
    }

    boolean usable() {
        return usable;
    }

    /** Largest frame the peer accepts. */
    long maxFrameBytes() {
        return maxFrameBytes;
    }

    /** Sends a request; completes with the answer frame (OK, RESULT or ERROR). */
    CompletableFuture<Frame> request(Message message) {
        long id = ids.incrementAndGet();
        CompletableFuture<Frame> answer = new CompletableFuture<>();
        pending.put(id, answer);
        NetSocket s = socket;
        if (!usable || s == null) {
            pending.remove(id);
            answer.completeExceptionally(new LinkClosedException("connection to process " + processId + " is closing", false));
            return answer;
        }
        s.write(FrameCodec.encode(id, message)).onFailure(e -> {
            if (pending.remove(id) != null) {
                answer.completeExceptionally(new LinkClosedException("cannot write to process " + processId + ": "
                        + e.getMessage(), false));
            }
        });
        return answer;
    }

    void close() {
        usable = false;
        NetSocket s = socket;
        if (s != null) {
            s.close();
        }
    }

    static boolean notStarted(Frame f) {
        return f.message() instanceof Message.Error e && e.code() == ErrorCode.PROCESS_UNAVAILABLE
                && (f.flags() & FrameCodec.FLAG_NOT_STARTED) != 0;
    }
}
