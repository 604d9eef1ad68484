package io.praas.function;

/**
 * Element-wise reductions of primitive arrays, the fast path of {@link Group#allReduce(double[], ReduceOp)}.
 *
 * <pre>{@code
 * double[] sums = ctx.group(members).allReduce(partialSums, ReduceOp.SUM);
 * }</pre>
 */
public enum ReduceOp {
    SUM, PROD, MIN, MAX;

    /** {@code a op b}. */
    public double apply(double a, double b) {
        return switch (this) {
            case SUM -> a + b;
            case PROD -> a * b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
        };
    }

    /** {@code a op b}. */
    public long apply(long a, long b) {
        return switch (this) {
            case SUM -> a + b;
            case PROD -> a * b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
        };
    }
}
