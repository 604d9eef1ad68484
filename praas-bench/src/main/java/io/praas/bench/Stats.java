package io.praas.bench;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Small-sample statistics of the start and swap benchmarks (a few runs each, in milliseconds). */
final class Stats {
    private Stats() {
    }

    /** The median (the mean of the middle two for an even count). */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Nearest-rank percentile (q in 0..1); with few samples p99 is the largest. */
    static double percentile(List<Double> values, double q) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int rank = (int) Math.ceil(q * v.length);
        return v[Math.max(0, Math.min(v.length, rank) - 1)];
    }

    /** "12 / 15 / 11": every run, in run order. */
    static String runs(List<Double> values) {
        return values.stream().map(Stats::ms).collect(Collectors.joining(" / "));
    }

    static String ms(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return v >= 100 ? String.format("%,.0f", v) : String.format("%.1f", v);
    }

    static String ratio(double v) {
        return Double.isNaN(v) ? "-" : String.format("%.2fx", v);
    }
}
