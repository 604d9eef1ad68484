package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.process.Deadlines;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.praas.protocol.ProtocolException;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection from this process to a peer process: HELLO with an application token and this
 * process's id as peerId, then multiplexed requests (MESSAGE, INVOKE) answered by requestId.
 *
 * <p>It is a blocking socket, written by the thread that sends (a function's worker) under a lock,
 * so a message leaves without a hand-off to an event loop; a reader thread per link takes the
 * answers. A {@link java.net.Socket} rather than a {@code SocketChannel}: interrupting a writer (an
 * invocation's timeout does) must not close a link that other invocations share. A GOAWAY or a close makes it {@linkplain #usable() unusable}; requests still in flight
 * when it closes fail with {@link LinkClosedException}.
 */
final class PeerLink {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);
    private static final int CONNECT_TIMEOUT_MS = 5_000;

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
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Map<Long, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean usable = true;
    /** Longest frame the peer may send before its WELCOME (a WELCOME or an ERROR is small). */
    static final int MAX_FRAME_BEFORE_WELCOME = 64 * 1024;
    private volatile long maxFrameBytes = FrameCodec.DEFAULT_MAX_FRAME_BYTES;
    /** Longest frame taken from the peer: small until its WELCOME, then what it announced (PROTOCOL.md rule 2). */
    private volatile long readLimit = MAX_FRAME_BEFORE_WELCOME;

    private PeerLink(String processId, String host, int port, Socket socket) throws IOException {
        this.processId = processId;
        this.host = host;
        this.port = port;
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    /** Dials and shakes hands on {@code connector}; completes with a usable link or fails with the peer's refusal. */
    static CompletableFuture<PeerLink> connect(Executor connector, String processId, String host, int port,
                                               Message.Hello hello) {
        return CompletableFuture.supplyAsync(() -> {
            Socket ch = null;
            try {
                ch = new Socket();
                ch.setTcpNoDelay(true);
                ch.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
                ch.setSoTimeout(CONNECT_TIMEOUT_MS); // for the answer to HELLO; the reader waits without one
                PeerLink link = new PeerLink(processId, host, port, ch);
                link.write(FrameCodec.encode(0, hello));
                Frame answer = link.readFrame();
                if (answer.message() instanceof Message.Welcome w) {
                    link.maxFrameBytes = w.maxFrameBytes();
                    link.readLimit = Math.max(w.maxFrameBytes(), MAX_FRAME_BEFORE_WELCOME);
                    ch.setSoTimeout(0);
                } else if (answer.message() instanceof Message.Error e) {
                    ch.close();
                    throw new PraasException(e.code(), "process " + processId + " refused this process: " + e.message());
                } else {
                    throw new IOException("answer to HELLO was " + answer.message().getClass().getSimpleName());
                }
                Thread reader = new Thread(link::readLoop, "praas-peer-" + processId);
                reader.setDaemon(true);
                reader.start();
                return link;
            } catch (IOException | RuntimeException e) {
                closeQuietly(ch);
                if (e instanceof PraasException pe) {
                    throw pe;
                }
                throw new LinkClosedException("cannot connect to process " + processId + " at " + host + ":" + port
                        + ": " + e, false);
            }
        }, connector);
    }

    private void readLoop() {
        try {
            while (true) {
                Frame f = readFrame();
                Message m = f.message();
                if (m instanceof Message.GoAway) {
                    usable = false; // answers to what is in flight still come; new requests go elsewhere
                    continue;
                }
                if (f.requestId() == 0) {
                    LOG.debug("process {} said {}", processId, m);
                    continue;
                }
                CompletableFuture<Frame> answer = pending.remove(f.requestId());
                if (answer != null) {
                    answer.complete(f);
                }
            }
        } catch (IOException | ProtocolException e) {
            LOG.debug("link to process {} closed: {}", processId, e.toString());
        } finally {
            onClose();
        }
    }

    /** Reads one whole frame (blocking), at most the size the peer may send (64 KiB before its WELCOME, then its limit). */
    private Frame readFrame() throws IOException {
        byte[] length = in.readNBytes(FrameCodec.LENGTH_FIELD);
        if (length.length < FrameCodec.LENGTH_FIELD) {
            throw new IOException("process " + processId + " closed the connection");
        }
        long n = Integer.toUnsignedLong(ByteBuffer.wrap(length).getInt());
        if (n < FrameCodec.MIN_LENGTH || n > Math.min(readLimit, Integer.MAX_VALUE - FrameCodec.LENGTH_FIELD)) {
            throw new IOException("frame of " + n + " bytes from process " + processId);
        }
        byte[] frame = new byte[FrameCodec.LENGTH_FIELD + (int) n];
        System.arraycopy(length, 0, frame, 0, FrameCodec.LENGTH_FIELD);
        if (in.readNBytes(frame, FrameCodec.LENGTH_FIELD, (int) n) < n) {
            throw new IOException("process " + processId + " closed the connection mid-frame");
        }
        return FrameCodec.decode(Buffer.buffer(frame));
    }

    private void write(Buffer frame) throws IOException {
        io.netty.buffer.ByteBuf buf = ((io.vertx.core.internal.buffer.BufferInternal) frame).getByteBuf();
        writeLock.lock();
        try {
            if (buf.hasArray()) {
                out.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
            } else {
                out.write(frame.getBytes());
            }
            out.flush();
        } finally {
            writeLock.unlock();
        }
    }

    private void onClose() {
        usable = false;
        closeQuietly(socket);
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

    /**
     * Sends a request from the calling thread; completes with the answer frame (OK, RESULT or
     * ERROR) on the link's reader thread, or with a {@link java.util.concurrent.TimeoutException}
     * once {@code deadlineNanos} has passed.
     */
    CompletableFuture<Frame> request(Message message, long deadlineNanos) {
        long id = ids.incrementAndGet();
        CompletableFuture<Frame> answer = new CompletableFuture<>();
        if (!usable) {
            answer.completeExceptionally(new LinkClosedException("connection to process " + processId + " is closing", false));
            return answer;
        }
        pending.put(id, answer);
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Deadlines.Expiring timeout = new Deadlines.Expiring() {
            @Override
            public long deadlineNanos() {
                return deadlineNanos;
            }

            @Override
            public void expire() {
                if (pending.remove(id) != null) {
                    answer.completeExceptionally(new java.util.concurrent.TimeoutException());
                }
                if (writing.get()) {
                    // Still blocked writing (or waiting to write) at its deadline: the peer stopped
                    // reading. Closing the link ends the write; the next send dials afresh.
                    LOG.warn("process {} took no bytes for a request until its deadline; closing the link", processId);
                    close();
                }
            }
        };
        Deadlines.watch(timeout);
        answer.whenComplete((f, e) -> Deadlines.forget(timeout));
        try {
            write(FrameCodec.encode(id, message));
            writing.set(false);
        } catch (IOException e) {
            writing.set(false);
            if (pending.remove(id) != null) {
                answer.completeExceptionally(new LinkClosedException("cannot write to process " + processId + ": "
                        + e.getMessage(), false));
            }
            close();
        }
        return answer;
    }

    void close() {
        usable = false;
        closeQuietly(socket); // the reader thread ends and fails what is pending
    }

    static boolean notStarted(Frame f) {
        return f.message() instanceof Message.Error e && e.code() == ErrorCode.PROCESS_UNAVAILABLE
                && (f.flags() & FrameCodec.FLAG_NOT_STARTED) != 0;
    }

    private static void closeQuietly(Socket ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("closing a peer link: {}", e.toString());
            }
        }
    }
}
