package io.praas.samples.exchange;

import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.ReceivedMessage;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;

/**
 * Ping-pong between two processes of one application, to compare ways of exchanging bytes: PraaS
 * messaging ({@code ctx.send}/{@code ctx.receive}), an S3-compatible store (PUT, then GET polled
 * every {@link S3Exchange#POLL_INTERVAL}), Redis (RPUSH, BLPOP), or a plain TCP socket between the
 * two processes ({@code tcp}: the pong side listens on loopback port {@code tcpPort} and echoes, a
 * blocking socket with TCP_NODELAY on each side; no exchange between two processes can be faster,
 * so it is the floor the others are measured against). Invoke it on both processes at
 * once (Redis's RPUSH and BLPOP pipelined, PraaS's send acknowledged while the answer travels): the {@code pong} side answers {@code warmup + rounds} pings; the {@code ping} side sends them
 * and returns the round-trip times of the last {@code rounds}, in nanoseconds.
 *
 * <pre>{@code
 * // on p-1: {"role":"pong","peer":"p-0","size":1024,"warmup":50,"rounds":500,"via":"messaging","run":"r1"}
 * // on p-0: the same with "role":"ping","peer":"p-1"  ->  {"nanos":[...]}
 * }</pre>
 */
public final class PingPong implements Function<PingPong.Request, PingPong.Result> {
    /**
     * One side of an exchange. {@code via}: messaging, s3, redis (then {@code redis} is host:port) or
     * tcp (then {@code tcpPort} is the loopback port the pong side listens on).
     */
    public record Request(String role, String peer, int size, int warmup, int rounds, String via, String run,
                          String redis, int tcpPort) {
    }

    /** Round-trip times of the measured rounds (empty on the pong side). */
    public record Result(long[] nanos) {
    }

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Override
    public Result handle(Request r, Context ctx) throws Exception {
        boolean ping = "ping".equals(r.role());
        byte[] payload = new byte[r.size()];
        Arrays.fill(payload, (byte) 'x');
        int total = r.warmup() + r.rounds();
        long[] nanos = new long[ping ? r.rounds() : 0];
        switch (r.via()) {
            case "messaging" -> {
                // The send's acknowledgement is awaited after the answer, not before it: one round
                // trip is one message each way (as Redis pipelines RPUSH and BLPOP below).
                java.util.concurrent.CompletableFuture<Void> sent = java.util.concurrent.CompletableFuture.completedFuture(null);
                for (int i = 0; i < total; i++) {
                    long t0 = System.nanoTime();
                    if (ping) {
                        sent = ctx.send(r.peer(), "ping", payload);
                        await(ctx.receive(r.peer(), "pong", WAIT));
                        await(sent);
                    } else {
                        ReceivedMessage m = await(ctx.receive(r.peer(), "ping", WAIT));
                        await(sent);
                        sent = ctx.send(r.peer(), "pong", m.data());
                    }
                    record(nanos, i - r.warmup(), t0);
                }
                await(sent);
            }
            case "s3" -> {
                try (S3Exchange s3 = S3Exchange.fromEnvironment()) {
                    for (int i = 0; i < total; i++) {
                        long t0 = System.nanoTime();
                        String pingKey = r.run() + "/ping/" + i;
                        String pongKey = r.run() + "/pong/" + i;
                        if (ping) {
                            s3.put(pingKey, payload);
                            s3.await(pongKey, WAIT);
                        } else {
                            s3.put(pongKey, s3.await(pingKey, WAIT));
                        }
                        record(nanos, i - r.warmup(), t0);
                    }
                    if (ping) {
                        for (int i = 0; i < total; i++) {
                            s3.delete(r.run() + "/ping/" + i);
                            s3.delete(r.run() + "/pong/" + i);
                        }
                    }
                }
            }
            case "redis" -> {
                try (RespClient redis = RespClient.connect(r.redis())) {
                    String pingKey = "pingpong:" + r.run() + ":ping";
                    String pongKey = "pingpong:" + r.run() + ":pong";
                    if (ping) {
                        for (int i = 0; i < total; i++) {
                            long t0 = System.nanoTime();
                            require(redis.rpushThenBlpop(pingKey, payload, pongKey, WAIT.toSeconds()));
                            record(nanos, i - r.warmup(), t0);
                        }
                    } else {
                        // RPUSH answered before the next BLPOP: measured faster here than pipelining the
                        // two on this side too.
                        for (int i = 0; i < total; i++) {
                            redis.rpush(pongKey, require(redis.blpop(pingKey, WAIT.toSeconds())));
                        }
                    }
                }
            }
            case "tcp" -> tcp(r, ping, payload, total, nanos);
            default -> throw new IllegalArgumentException("via must be messaging, s3, redis or tcp: " + r.via());
        }
        return new Result(nanos);
    }

    /**
     * The pong side accepts one connection on {@code 127.0.0.1:tcpPort} and sends back each
     * {@code size} bytes it reads; the ping side dials it (until it listens, within {@link #WAIT})
     * and times each write and the read of its echo.
     */
    private static void tcp(Request r, boolean ping, byte[] payload, int total, long[] nanos) throws IOException,
            InterruptedException {
        if (r.tcpPort() <= 0 || r.tcpPort() > 65535) {
            throw new IllegalArgumentException("via tcp needs tcpPort, a free loopback port: " + r.tcpPort());
        }
        try (Socket s = ping ? dial(r.tcpPort()) : accept(r.tcpPort())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) WAIT.toMillis());
            InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            OutputStream out = s.getOutputStream();
            byte[] buffer = new byte[payload.length];
            for (int i = 0; i < total; i++) {
                long t0 = System.nanoTime();
                if (ping) {
                    out.write(payload);
                    readFully(in, buffer);
                } else {
                    readFully(in, buffer);
                    out.write(buffer);
                }
                record(nanos, i - r.warmup(), t0);
            }
        }
    }

    private static Socket accept(int port) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            server.setSoTimeout((int) WAIT.toMillis());
            return server.accept();
        }
    }

    private static Socket dial(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                return new Socket(InetAddress.getLoopbackAddress(), port);
            } catch (ConnectException e) { // the pong side does not listen yet
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(10);
            }
        }
    }

    private static void readFully(InputStream in, byte[] buffer) throws IOException {
        if (in.readNBytes(buffer, 0, buffer.length) < buffer.length) {
            throw new EOFException("the other side closed the connection mid-exchange");
        }
    }

    private static void record(long[] nanos, int index, long t0) {
        if (index >= 0 && index < nanos.length) {
            nanos[index] = System.nanoTime() - t0;
        }
    }

    private static byte[] require(byte[] b) {
        if (b == null) {
            throw new IllegalStateException("no answer from redis within " + WAIT);
        }
        return b;
    }

    static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
