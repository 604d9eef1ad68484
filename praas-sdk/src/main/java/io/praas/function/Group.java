package io.praas.function;

import java.time.Duration;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Collective operations over a group of processes of one application, built on peer messaging.
 * Every member calls the same operations in the same order (as in MPI); each call blocks until
 * this member's part is done. Reduce, broadcast, gather and the typed all-reduce send along a
 * binomial tree rooted at the operation's root (rank 0 for the all-reduce); the element-wise
 * all-reduce of primitive arrays and the barrier exchange by recursive doubling. Either way an
 * operation takes about log2(size) message rounds.
 *
 * <p>Operations are numbered per group (the same member list, in the same order) in each member's
 * process state, so the numbering goes with a member through a swap or a journal restart. A member
 * that skips an operation (its invocation failed before the call) is out of step with the others
 * from then on: the members go on in step under a new {@linkplain #named name}, which numbers afresh
 * (a run's or an epoch's, say, that every member knows from its input).
 *
 * <p>Each call waits at most the group's timeout (by default, and never past, the invocation's
 * remaining time). A call fails with a {@link io.praas.client.PraasException}: {@code TIMEOUT} when
 * a member did not answer in time, {@code PROCESS_UNAVAILABLE} when a member failed or stopped, or
 * when another member aborted the operation; the others are told, so no member waits for a message
 * that will never come.
 *
 * <pre>{@code
 * Group g = ctx.group(List.of("p-0", "p-1", "p-2")).withTimeout(Duration.ofSeconds(10));
 * double[] sums = g.allReduce(localSums, ReduceOp.SUM);
 * Integer best = g.reduce("p-0", localBest, Integer.class, Math::max);   // non-null on p-0 only
 * g.barrier();
 * }</pre>
 *
 * <p>Typed values travel Kryo-encoded; reducers must be associative (they are applied in rank
 * order, so they need not be commutative).
 */
public interface Group {

    /** The members' process ids; a member's rank is its index. */
    List<String> members();

    /** This process's rank in {@link #members()}. */
    int rank();

    default int size() {
        return members().size();
    }

    /** The same group with another timeout per operation. */
    Group withTimeout(Duration timeout);

    /**
     * The same members, their operations numbered apart from the unnamed group's and every other
     * name's (from 1, in each member). Members that call with the same name stay in step whatever
     * happened under another name.
     *
     * @param name 1 to 256 characters
     */
    Group named(String name);

    /** Returns once every member has called it. */
    void barrier();

    /** Returns {@code data} of {@code root} on every member ({@code data} is ignored elsewhere). */
    byte[] broadcast(String root, byte[] data);

    /** Returns {@code value} of {@code root} on every member. */
    <T> T broadcast(String root, T value, Class<T> type);

    /** Combines every member's value with {@code reducer}; the result on {@code root}, null elsewhere. */
    <T> T reduce(String root, T value, Class<T> type, BinaryOperator<T> reducer);

    /** Combines every member's value with {@code reducer}; the result on every member. */
    <T> T allReduce(T value, Class<T> type, BinaryOperator<T> reducer);

    /** Element-wise {@code op} of every member's array (all of one length); the result on every member. */
    double[] allReduce(double[] values, ReduceOp op);

    /** Element-wise {@code op} of every member's array (all of one length); the result on every member. */
    long[] allReduce(long[] values, ReduceOp op);

    /** Element-wise {@code op} of every member's array; the result on {@code root}, null elsewhere. */
    double[] reduce(String root, double[] values, ReduceOp op);

    /** Element-wise {@code op} of every member's array; the result on {@code root}, null elsewhere. */
    long[] reduce(String root, long[] values, ReduceOp op);

    /** Every member's {@code data} in rank order on {@code root}; an empty list elsewhere. */
    List<byte[]> gather(String root, byte[] data);

    /** Every member's value in rank order on {@code root}; an empty list elsewhere. */
    <T> List<T> gather(String root, T value, Class<T> type);
}
