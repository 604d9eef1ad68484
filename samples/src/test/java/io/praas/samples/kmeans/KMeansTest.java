package io.praas.samples.kmeans;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class KMeansTest {
    /** The straightforward loop: one centroid at a time, the first nearest one wins. */
    private static double[] plainPartial(double[] points, int dims, double[] centroids, int k) {
        double[] out = new double[k * dims + k + 1];
        for (int i = 0; i < points.length / dims; i++) {
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

    private static double[] random(int n, Random r) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (r.nextDouble() * 2 - 1) * 10;
        }
        return v;
    }

    @Test
    void partialSumsAreBitIdenticalToThePlainLoopForEveryK() {
        Random r = new Random(7);
        for (int dims : new int[] {1, 2, 3, 4, 5, 8, 9}) {
            for (int k : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 13}) {
                // 1,000 points: three whole blocks of the columnar step and a part of one.
                double[] points = random(1000 * dims, r);
                double[] centroids = random(k * dims, r);
                assertArrayEquals(plainPartial(points, dims, centroids, k),
                        KMeans.partial(KMeans.columns(points, dims), centroids, k),
                        "dims " + dims + ", k " + k);
            }
        }
    }

    @Test
    void pointsWithInfiniteOrNaNCoordinatesGoWhereThePlainLoopPutsThem() {
        // inf - inf is a NaN with its sign bit set on x86: such a distance must not count as nearest.
        double inf = Double.POSITIVE_INFINITY;
        double[] points = {inf, 1, Double.NaN, 2, -inf, 3, 0, 0};
        double[] centroids = {inf, 1, 0, 0, -inf, 0};
        for (int k = 1; k <= 3; k++) {
            double[] c = java.util.Arrays.copyOf(centroids, 2 * k);
            assertArrayEquals(plainPartial(points, 2, c, k), KMeans.partial(KMeans.columns(points, 2), c, k), "k " + k);
        }
    }

    @Test
    void aTieGoesToTheFirstCentroidAsInThePlainLoop() {
        // The point 0 is as far from centroid 1 (-1) as from centroid 2 (+1); centroid 0 is at 5.
        double[] sums = KMeans.partial(new double[][] {{0}}, new double[] {5, -1, 1, 9}, 4);
        assertEquals(1.0, sums[4 + 1], "the point is counted for centroid 1");
        assertEquals(0.0, sums[4 + 2]);
        assertEquals(1.0, sums[4 + 4], "inertia: squared distance 1");
    }
}
