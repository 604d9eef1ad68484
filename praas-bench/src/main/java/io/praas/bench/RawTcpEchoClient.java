package io.praas.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The baseline's client: one blocking socket (TCP_NODELAY, buffered streams) reused for every
 * round trip, with the framing of {@link RawTcpEchoServer}. Not thread-safe.
 */
final class RawTcpEchoClient implements AutoCloseable {
    private static final int READ_TIMEOUT_MS = 30_000;

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    RawTcpEchoClient(String host, int port) {
        try {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(READ_TIMEOUT_MS);
            socket.connect(new InetSocketAddress(host, port), 10_000);
            int buffer = RawTcpEchoServer.STREAM_BUFFER_BYTES;
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), buffer));
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), buffer));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to the raw TCP echo server at " + host + ":" + port, e);
        }
    }

    /** One round trip; returns a new array with the echoed bytes, as the PraaS client does. */
    byte[] echo(byte[] payload) {
        try {
            out.writeInt(payload.length);
            out.write(payload);
            out.flush();
            int length = in.readInt();
            if (length < 0 || length > RawTcpEchoServer.MAX_MESSAGE_BYTES) {
                throw new IOException("bad length " + length + " from the echo server");
            }
            byte[] answer = new byte[length];
            in.readFully(answer);
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException("raw TCP echo failed", e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing: nothing to do
        }
    }
}
