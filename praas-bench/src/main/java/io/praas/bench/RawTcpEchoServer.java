package io.praas.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;

/**
 * The latency baseline: a plain blocking Java TCP echo server, one thread per connection. Each
 * message is a 4-byte big-endian length and that many bytes, echoed back the same way.
 *
 * <pre>{@code
 * java -cp ... io.praas.bench.RawTcpEchoServer /tmp/port-file
 * }</pre>
 */
public final class RawTcpEchoServer {
    /** Larger than any payload the benchmark sends; a longer length means a broken stream. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    static final int STREAM_BUFFER_BYTES = 64 * 1024;

    private RawTcpEchoServer() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: RawTcpEchoServer PORT_FILE");
            System.exit(2);
        }
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        ServerJvm.exitWhenParentDies();
        ServerJvm.announcePort(Path.of(args[0]), server.getLocalPort());
        System.out.println("raw TCP echo server listening on 127.0.0.1:" + server.getLocalPort());
        while (true) {
            Socket s = server.accept();
            s.setTcpNoDelay(true);
            Thread t = new Thread(() -> serve(s), "echo-" + s.getPort());
            t.setDaemon(true);
            t.start();
        }
    }

    private static void serve(Socket s) {
        try (s;
             var in = new DataInputStream(new BufferedInputStream(s.getInputStream(), STREAM_BUFFER_BYTES));
             var out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), STREAM_BUFFER_BYTES))) {
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    return; // the client closed
                }
                if (length < 0 || length > MAX_MESSAGE_BYTES) {
                    System.err.println("bad length " + length + " from " + s.getRemoteSocketAddress() + "; closing");
                    return;
                }
                byte[] payload = new byte[length];
                in.readFully(payload);
                out.writeInt(length);
                out.write(payload);
                out.flush();
            }
        } catch (IOException e) {
            System.err.println("connection " + s.getRemoteSocketAddress() + ": " + e);
        }
    }
}
