package io.praas.bench;

import java.util.Arrays;

/**
 * Latency percentiles of one case, from round-trip times in nanoseconds (nearest-rank method on
 * the sorted samples).
 *
 * @param count samples
 * @param p50   median, ns
 * @param p99   99th percentile, ns
 * @param mean  mean, ns
 * @param max   largest sample, ns
 */
record Summary(int count, long p50, long p99, double mean, long max) {

    /** Summarizes the first {@code count} samples; sorts that part of the array in place. */
    static Summary of(long[] samplesNanos, int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("no samples");
        }
        Arrays.sort(samplesNanos, 0, count);
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += samplesNanos[i];
        }
        return new Summary(count, percentile(samplesNanos, count, 0.50), percentile(samplesNanos, count, 0.99),
                sum / count, samplesNanos[count - 1]);
    }

    private static long percentile(long[] sorted, int count, double q) {
        int rank = (int) Math.ceil(q * count);
        return sorted[Math.max(0, Math.min(count, rank) - 1)];
    }

    static String micros(double nanos) {
        double us = nanos / 1_000.0;
        return us >= 1_000 ? String.format("%,.0f", us) : String.format("%.1f", us);
    }
}
