package io.praas.samples.exchange;

import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.ReceivedMessage;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;

/**
 * Ping-pong between two processes of one application, to compare ways of exchanging bytes: PraaS
 * messaging ({@code ctx.send}/{@code ctx.receive}), an S3-compatible store (PUT, then GET polled
 * every {@link S3Exchange#POLL_INTERVAL}) or Redis (RPUSH, BLPOP). Invoke it on both processes at
 * once (Redis's RPUSH and BLPOP pipelined, PraaS's send acknowledged while the answer travels): the {@code pong} side answers {@code warmup + rounds} pings; the {@code ping} side sends them
 * and returns the round-trip times of the last {@code rounds}, in nanoseconds.
 *
 * <pre>{@code
 * // on p-1: {"role":"pong","peer":"p-0","size":1024,"warmup":50,"rounds":500,"via":"messaging","run":"r1"}
 * // on p-0: the same with "role":"ping","peer":"p-1"  ->  {"nanos":[...]}
 * }</pre>
 */
public final class PingPong implements Function<PingPong.Request, PingPong.Result> {
    /** One side of an exchange. {@code via}: messaging, s3 or redis (then {@code redis} is host:port). */
    public record Request(String role, String peer, int size, int warmup, int rounds, String via, String run,
                          String redis) {
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
            default -> throw new IllegalArgumentException("via must be messaging, s3 or redis: " + r.via());
        }
        return new Result(nanos);
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
