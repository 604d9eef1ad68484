package io.praas.samples.kmeans;

import java.util.Random;

/** The arithmetic of one k-means epoch over a shard: partial sums, counts and inertia. */
final class KMeans {
    private KMeans() {
    }

    static double[][] randomPoints(int n, int dims, Random random, double spread) {
        double[][] p = new double[n][dims];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < dims; d++) {
                p[i][d] = (random.nextDouble() * 2 - 1) * spread;
            }
        }
        return p;
    }

    /**
     * For each point, its nearest centroid; returns {@code [k*dims sums][k counts][inertia]}, the
     * vector the processes sum up.
     */
    static double[] partial(double[] points, int dims, double[] centroids, int k) {
        double[] out = new double[k * dims + k + 1];
        int n = points.length / dims;
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bestDist = Double.MAX_VALUE;
            for (int c = 0; c < k; c++) {
                double dist = 0;
                for (int d = 0; d < dims; d++) {
                    double diff = points[i * dims + d] - centroids[c * dims + d];
                    dist += diff * diff;
                }
                if (dist < bestDist) {
                    bestDist = dist;
                    best = c;
                }
            }
            for (int d = 0; d < dims; d++) {
                out[best * dims + d] += points[i * dims + d];
            }
            out[k * dims + best] += 1;
            out[k * dims + k] += bestDist;
        }
        return out;
    }

    /** New centroids from summed partials (a centroid without points stays where it was). */
    static double[] centroids(double[] sums, int dims, double[] previous, int k) {
        double[] next = previous.clone();
        for (int c = 0; c < k; c++) {
            double count = sums[k * dims + c];
            if (count > 0) {
                for (int d = 0; d < dims; d++) {
                    next[c * dims + d] = sums[c * dims + d] / count;
                }
            }
        }
        return next;
    }

    static void add(double[] into, double[] other) {
        if (into.length != other.length) {
            throw new IllegalArgumentException("partials differ in length");
        }
        for (int i = 0; i < into.length; i++) {
            into[i] += other[i];
        }
    }
}
