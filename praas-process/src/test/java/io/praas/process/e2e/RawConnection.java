package io.praas.process.e2e;

import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.vertx.core.buffer.Buffer;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A blocking data-plane connection that speaks the wire format byte by byte: it writes whatever
 * frames (or garbage) a test builds and reads whole frames back. Every read has a timeout, so a
 * process that does not answer fails the test instead of hanging it.
 *
 * <pre>{@code
 * try (RawConnection c = RawConnection.open(port)) {
 *     c.hello();
 *     c.send(7, new Message.Ping(new byte[] {1}));
 *     Frame pong = c.read();
 * }
 * }</pre>
 */
final class RawConnection implements AutoCloseable {
    static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static RawConnection open(int port) {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) READ_TIMEOUT.toMillis());
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) READ_TIMEOUT.toMillis());
            return new RawConnection(s);
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new UncheckedIOException("cannot connect to 127.0.0.1:" + port, e);
        }
    }

    /** A frame built by hand: {@code length} is 12 plus the body's size. */
    static byte[] frame(int version, int type, long requestId, byte[] body) {
        return frame(version, type, 0, requestId, body);
    }

    static byte[] frame(int version, int type, int flags, long requestId, byte[] body) {
        return ByteBuffer.allocate(FrameCodec.HEADER_BYTES + body.length)
                .putInt(FrameCodec.MIN_LENGTH + body.length)
                .put((byte) version).put((byte) type).putShort((short) flags).putLong(requestId)
                .put(body).array();
    }

    /** Just a length field: what a frame claiming {@code length} bytes starts with. */
    static byte[] lengthField(long length) {
        return ByteBuffer.allocate(FrameCodec.LENGTH_FIELD).putInt((int) length).array();
    }

    /** A {@code str} field: u16 length then the bytes. */
    static byte[] str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + b.length).putShort((short) b.length).put(b).array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer all = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            all.put(p);
        }
        return all.array();
    }

    RawConnection send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RawConnection send(long requestId, Message message) {
        return send(FrameCodec.encode(requestId, message).getBytes());
    }

    /** HELLO for the process's own application with no token (dev mode); returns the WELCOME. */
    Message.Welcome hello() {
        return hello("", "");
    }

    /** HELLO with requestId 1; asserts and returns the WELCOME. */
    Message.Welcome hello(String application, String token) {
        send(1, new Message.Hello(application, token, "", "e2e-raw"));
        Frame f = read();
        assertThat(f.message()).as("answer to HELLO").isInstanceOf(Message.Welcome.class);
        assertThat(f.requestId()).isEqualTo(1);
        return (Message.Welcome) f.message();
    }

    /** The length field of the frame {@link #read} read last. */
    int lastLength() {
        return lastLength;
    }

    private int lastLength;

    /** Reads one whole frame (length field, then that many bytes) and decodes it. */
    Frame read() {
        try {
            int length = in.readInt();
            lastLength = length;
            byte[] whole = new byte[FrameCodec.LENGTH_FIELD + length];
            ByteBuffer.wrap(whole).putInt(length);
            in.readFully(whole, FrameCodec.LENGTH_FIELD, length);
            return FrameCodec.decode(Buffer.buffer(whole));
        } catch (EOFException e) {
            throw new AssertionError("the process closed the connection instead of answering", e);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame from the process within " + READ_TIMEOUT, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one frame and asserts it is ERROR {@code code} for {@code requestId}; returns its message. */
    String readError(long requestId, ErrorCode code) {
        Frame f = read();
        assertThat(f.message()).as("answer to request %d", requestId).isInstanceOf(Message.Error.class);
        Message.Error e = (Message.Error) f.message();
        assertThat(e.code()).as("error code (%s)", e.message()).isEqualTo(code);
        assertThat(f.requestId()).as("requestId of the error").isEqualTo(requestId);
        return e.message();
    }

    /**
     * True when the process closes the connection (read returns -1, or the socket is reset) within
     * the read timeout; false when it stays open. Consumes at most one byte.
     */
    boolean closedByPeer() {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset: closed as well
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Like {@link #closedByPeer()} but waits at most {@code wait}. */
    boolean closedByPeerWithin(Duration wait) {
        try {
            socket.setSoTimeout((int) wait.toMillis());
            return closedByPeer();
        } catch (SocketException e) {
            return true;
        } finally {
            try {
                socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            } catch (SocketException ignored) {
                // closed
            }
        }
    }

    /** PING with {@code requestId}, expecting the PONG with the same bytes: proves the connection serves. */
    void assertServes(long requestId) {
        byte[] data = ("ping-" + requestId).getBytes(StandardCharsets.UTF_8);
        send(requestId, new Message.Ping(data));
        Frame f = read();
        assertThat(f.requestId()).isEqualTo(requestId);
        assertThat(f.message()).isInstanceOf(Message.Pong.class);
        assertThat(((Message.Pong) f.message()).data()).isEqualTo(data);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
