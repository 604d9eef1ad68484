package io.praas.samples.exchange;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal blocking Redis client (RESP2) for the comparison baselines: RPUSH, BLPOP, DEL over
 * one connection with TCP_NODELAY. Not thread-safe.
 *
 * <pre>{@code
 * try (RespClient redis = RespClient.connect("127.0.0.1", 6379)) {
 *     redis.rpush("q", bytes);
 *     byte[] v = redis.blpop("q", 5);
 * }
 * }</pre>
 */
public final class RespClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RespClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /** Connects to {@code host:port}. */
    public static RespClient connect(String address) throws IOException {
        int colon = address.lastIndexOf(':');
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))), 5000);
        return new RespClient(s);
    }

    public void rpush(String key, byte[] value) throws IOException {
        command("RPUSH", key.getBytes(StandardCharsets.UTF_8), value);
        read();
    }

    /** Pops the head of {@code key}, waiting up to {@code timeoutSeconds}; null on timeout. */
    public byte[] blpop(String key, double timeoutSeconds) throws IOException {
        command("BLPOP", key.getBytes(StandardCharsets.UTF_8), Double.toString(timeoutSeconds).getBytes(StandardCharsets.UTF_8));
        Object reply = read();
        return reply instanceof Object[] pair ? (byte[]) pair[1] : null;
    }

    /** RPUSH and BLPOP in one write (pipelined); returns what BLPOP popped, or null on timeout. */
    public byte[] rpushThenBlpop(String pushKey, byte[] value, String popKey, double timeoutSeconds) throws IOException {
        buffer("RPUSH", pushKey.getBytes(StandardCharsets.UTF_8), value);
        command("BLPOP", popKey.getBytes(StandardCharsets.UTF_8), Double.toString(timeoutSeconds).getBytes(StandardCharsets.UTF_8));
        read();
        Object reply = read();
        return reply instanceof Object[] pair ? (byte[]) pair[1] : null;
    }

    public void del(String key) throws IOException {
        command("DEL", key.getBytes(StandardCharsets.UTF_8));
        read();
    }

    private void command(String name, byte[]... args) throws IOException {
        buffer(name, args);
        out.flush();
    }

    private void buffer(String name, byte[]... args) throws IOException {
        out.write(("*" + (args.length + 1) + "\r\n$" + name.length() + "\r\n" + name + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            out.write(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(a);
            out.write('\r');
            out.write('\n');
        }
    }

    private Object read() throws IOException {
        int type = in.read();
        String line = line();
        return switch (type) {
            case '+', ':' -> line;
            case '-' -> throw new IOException("redis: " + line);
            case '$' -> {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    yield null;
                }
                byte[] b = in.readNBytes(n);
                in.readNBytes(2);
                yield b;
            }
            case '*' -> {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    yield null;
                }
                Object[] items = new Object[n];
                for (int i = 0; i < n; i++) {
                    items[i] = read();
                }
                yield items;
            }
            case -1 -> throw new IOException("redis closed the connection");
            default -> throw new IOException("unexpected redis reply type " + (char) type);
        };
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\r') {
            if (c == -1) {
                throw new IOException("redis closed the connection");
            }
            b.write(c);
        }
        in.read(); // '\n'
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
