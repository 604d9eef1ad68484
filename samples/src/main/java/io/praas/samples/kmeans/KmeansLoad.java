package io.praas.samples.kmeans;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.Random;

/**
 * Loads this process's shard of a k-means data set into its process state: {@code points} points
 * of {@code dims} dimensions around {@code k} centers (the same centers on every process, from
 * {@code seed}; the points differ per process). Returns the number of points.
 *
 * <pre>{@code
 * // input {"points":50000,"dims":4,"k":8,"seed":42}  ->  50000
 * }</pre>
 */
public final class KmeansLoad implements Function<KmeansLoad.Request, Integer> {
    static final String POINTS = "kmeans.points";
    static final String DIMS = "kmeans.dims";

    public record Request(int points, int dims, int k, long seed) {
    }

    @Override
    public Integer handle(Request r, Context ctx) {
        if (r.points() <= 0 || r.dims() <= 0 || r.k() <= 0) {
            throw new IllegalArgumentException("points, dims and k must be positive: " + r);
        }
        double[][] centers = KMeans.randomPoints(r.k(), r.dims(), new Random(r.seed()), 10);
        Random random = new Random(r.seed() * 31 + ctx.processId().hashCode());
        double[] points = new double[r.points() * r.dims()];
        for (int i = 0; i < r.points(); i++) {
            double[] c = centers[random.nextInt(r.k())];
            for (int d = 0; d < r.dims(); d++) {
                points[i * r.dims() + d] = c[d] + random.nextGaussian();
            }
        }
        ctx.processState().put(POINTS, points);
        ctx.processState().put(DIMS, r.dims());
        return r.points();
    }
}
