package io.praas.samples.kmeans;

import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.Group;
import io.praas.function.ReduceOp;
import io.praas.samples.exchange.RespClient;
import io.praas.samples.exchange.S3Exchange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * Distributed k-means: every process of {@code group} runs this at once over the shard
 * {@link KmeansLoad} put in its process state. Each epoch it assigns its points to the nearest
 * centroid and sums them per centroid; the sums of all processes are added up, and every process
 * computes the same new centroids. How the sums travel is {@code via}:
 * <ul>
 *   <li>{@code messaging}: one all-reduce over PraaS peer messaging ({@link Group#allReduce(double[], ReduceOp)}),</li>
 *   <li>{@code s3}: each process PUTs its sums to the S3-compatible store and GETs everyone else's
 *       (polling every {@link S3Exchange#POLL_INTERVAL}),</li>
 *   <li>{@code redis}: each process RPUSHes its sums to a list the first process BLPOPs, which
 *       RPUSHes the total to one list per process (host:port in {@code redis}).</li>
 * </ul>
 * Returns the final centroids, the inertia of the last epoch, and each epoch's time on this process.
 *
 * <pre>{@code
 * // on each of p-0..p-3: {"group":["p-0","p-1","p-2","p-3"],"k":8,"epochs":10,"via":"messaging","run":"r1","seed":42}
 * }</pre>
 */
public final class Kmeans implements Function<Kmeans.Request, Kmeans.Result> {
    public record Request(List<String> group, int k, int epochs, String via, String run, String redis, long seed) {
    }

    /** {@code stepNanos}: of each epoch's time, the local assignment step (the rest is the exchange). */
    public record Result(double[] centroids, double inertia, long[] epochNanos, long[] stepNanos) {
    }

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Override
    public Result handle(Request r, Context ctx) throws Exception {
        double[] points = ctx.processState().get(KmeansLoad.POINTS, double[].class)
                .orElseThrow(() -> new IllegalStateException("no points: invoke kmeansLoad on this process first"));
        int dims = ctx.processState().get(KmeansLoad.DIMS, Integer.class).orElseThrow();
        // The layout the step takes, once per run: a second copy of the shard while it runs (mind the
        // process's state limit and heap for a shard near them).
        double[][] columns = KMeans.columns(points, dims);
        int k = r.k();
        int rank = r.group().indexOf(ctx.processId());
        if (rank < 0) {
            throw new IllegalArgumentException("process " + ctx.processId() + " is not in the group " + r.group());
        }
        double[] centroids = flatten(KMeans.randomPoints(k, dims, new Random(r.seed() + 7), 10));
        long[] epochNanos = new long[r.epochs()];
        long[] stepNanos = new long[r.epochs()];
        double inertia = 0;
        Exchange exchange = switch (r.via()) {
            case "messaging" -> {
                Group g = ctx.group(r.group());
                yield (partial, epoch) -> g.allReduce(partial, ReduceOp.SUM);
            }
            case "s3" -> new S3Sums(S3Exchange.fromEnvironment(), r.run(), rank, r.group().size());
            case "redis" -> new RedisSums(RespClient.connect(r.redis()), r.run(), rank, r.group().size());
            default -> throw new IllegalArgumentException("via must be messaging, s3 or redis: " + r.via());
        };
        try {
            for (int e = 0; e < r.epochs(); e++) {
                long t0 = System.nanoTime();
                double[] partial = KMeans.partial(columns, centroids, k);
                stepNanos[e] = System.nanoTime() - t0;
                double[] sums = exchange.sum(partial, e);
                centroids = KMeans.centroids(sums, dims, centroids, k);
                inertia = sums[sums.length - 1];
                epochNanos[e] = System.nanoTime() - t0;
            }
        } finally {
            exchange.close();
        }
        return new Result(centroids, inertia, epochNanos, stepNanos);
    }

    private static double[] flatten(double[][] p) {
        double[] out = new double[p.length * p[0].length];
        for (int i = 0; i < p.length; i++) {
            System.arraycopy(p[i], 0, out, i * p[0].length, p[0].length);
        }
        return out;
    }

    static byte[] bytes(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8);
        b.asDoubleBuffer().put(v);
        return b.array();
    }

    static double[] doubles(byte[] b) {
        double[] v = new double[b.length / 8];
        ByteBuffer.wrap(b).asDoubleBuffer().get(v);
        return v;
    }

    /** How one epoch's partial sums become everyone's total. */
    @FunctionalInterface
    interface Exchange extends AutoCloseable {
        double[] sum(double[] partial, int epoch) throws Exception;

        @Override
        default void close() throws Exception {
        }
    }

    /** All-to-all through the store: PUT mine, GET the others' (polling). */
    private record S3Sums(S3Exchange s3, String run, int rank, int size) implements Exchange {
        @Override
        public double[] sum(double[] partial, int epoch) throws Exception {
            s3.put(key(epoch, rank), bytes(partial));
            // In rank order on every process, so all of them get bit-identical totals.
            double[] total = new double[partial.length];
            for (int j = 0; j < size; j++) {
                KMeans.add(total, j == rank ? partial : doubles(s3.await(key(epoch, j), WAIT)));
            }
            if (epoch >= 2) {
                s3.delete(key(epoch - 2, rank)); // everyone has read it: they all wrote epoch - 1
            }
            return total;
        }

        private String key(int epoch, int r) {
            return "kmeans/" + run + "/" + epoch + "/" + r;
        }

        @Override
        public void close() {
            s3.close();
        }
    }

    /** Gather at the first process, which pushes the total to each (RPUSH/BLPOP, no polling). */
    private record RedisSums(RespClient redis, String run, int rank, int size) implements Exchange {
        @Override
        public double[] sum(double[] partial, int epoch) throws IOException {
            String up = "kmeans:" + run + ":" + epoch + ":up";
            if (rank != 0) {
                redis.rpush(up, bytes(partial));
                return doubles(require(redis.blpop("kmeans:" + run + ":" + epoch + ":down:" + rank, WAIT.toSeconds())));
            }
            double[] total = partial.clone();
            for (int j = 1; j < size; j++) {
                KMeans.add(total, doubles(require(redis.blpop(up, WAIT.toSeconds()))));
            }
            byte[] out = bytes(total);
            for (int j = 1; j < size; j++) {
                redis.rpush("kmeans:" + run + ":" + epoch + ":down:" + j, out);
            }
            return total;
        }

        private static byte[] require(byte[] b) {
            if (b == null) {
                throw new IllegalStateException("no partial sums from redis within " + WAIT);
            }
            return b;
        }

        @Override
        public void close() throws IOException {
            redis.close();
        }
    }
}
