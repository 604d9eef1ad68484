package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.codec.KryoCodec;
import io.praas.function.Group;
import io.praas.function.ReceivedMessage;
import io.praas.function.ReduceOp;
import io.praas.protocol.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/**
 * Collectives over peer messaging: a reduce or a gather climbs a binomial tree towards the root in
 * ceil(log2 n) rounds, a broadcast descends it, and a typed all-reduce does both (so its reducer is
 * applied in rank order); the element-wise all-reduce of primitive arrays and the barrier exchange
 * by recursive doubling in floor(log2 n) rounds (plus two for a size that is not a power of two). Messages of one operation use keys {@code U+0001 c/<group>/<sequence>/<phase>}, so they
 * never meet user messages or another operation's. A member that fails an operation (a timeout, a
 * member that failed or stopped, bad input) sends every other member an abort under
 * {@code .../x}, which ends their wait for it with PROCESS_UNAVAILABLE.
 */
public final class GroupImpl implements Group {
    private static final Logger LOG = LoggerFactory.getLogger(GroupImpl.class);
    private static final byte[] EMPTY = new byte[0];

    private final List<String> members;
    /** "" for the unnamed group. */
    private final String name;
    private final int rank;
    private final String groupId;
    private final Transport transport;
    private final KryoCodec kryo;
    private final Duration timeout;
    /** No operation waits past this (System.nanoTime): the invocation's deadline. */
    private final long capNanos;

    GroupImpl(List<String> members, Transport transport, KryoCodec kryo, Duration timeout) {
        this(members, transport, kryo, timeout, Long.MAX_VALUE);
    }

    GroupImpl(List<String> members, Transport transport, KryoCodec kryo, Duration timeout, long capNanos) {
        this(members, "", transport, kryo, timeout, capNanos);
    }

    private GroupImpl(List<String> members, String name, Transport transport, KryoCodec kryo, Duration timeout,
                      long capNanos) {
        this.members = List.copyOf(members);
        this.name = name;
        if (new HashSet<>(this.members).size() != this.members.size()) {
            throw new IllegalArgumentException("a group lists each process once: " + members);
        }
        this.rank = this.members.indexOf(transport.self());
        if (rank < 0) {
            throw new IllegalArgumentException("process " + transport.self() + " is not a member of " + members);
        }
        this.groupId = digest(this.members, name);
        this.transport = transport;
        this.kryo = kryo;
        this.timeout = timeout;
        this.capNanos = capNanos;
    }

    /** A group for a function's context: no operation outlives the invocation ({@code deadlineNanos}). */
    public static Group of(List<String> members, Messaging messaging, KryoCodec kryo, long deadlineNanos) {
        return new GroupImpl(members, messaging, kryo, Duration.ofNanos(Math.max(1, deadlineNanos - System.nanoTime())),
                deadlineNanos);
    }

    @Override
    public List<String> members() {
        return members;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public Group withTimeout(Duration t) {
        if (t.isNegative() || t.isZero()) {
            throw new IllegalArgumentException("a collective timeout must be positive: " + t);
        }
        return new GroupImpl(members, name, transport, kryo, t, capNanos);
    }

    @Override
    public Group named(String newName) {
        if (newName == null || newName.isEmpty() || newName.length() > 256) {
            throw new IllegalArgumentException("a group's name has 1 to 256 characters");
        }
        return new GroupImpl(members, newName, transport, kryo, timeout, capNanos);
    }

    // -------------------------------------------------------------------------------------------
    // Operations

    @Override
    public void barrier() {
        run("barrier", op -> doublingBytes(op, EMPTY, (a, b) -> EMPTY));
    }

    @Override
    public byte[] broadcast(String root, byte[] data) {
        int r = rankOf(root);
        return run("broadcast", op -> broadcastBytes(op, r, rank == r ? data : null));
    }

    @Override
    public <T> T broadcast(String root, T value, Class<T> type) {
        int r = rankOf(root);
        byte[] out = run("broadcast", op -> broadcastBytes(op, r, rank == r ? kryo.encodeObject(value) : null));
        return type.cast(kryo.decodeObject(out));
    }

    @Override
    public <T> T reduce(String root, T value, Class<T> type, BinaryOperator<T> reducer) {
        int r = rankOf(root);
        byte[] out = run("reduce", op -> reduceBytes(op, r, kryo.encodeObject(value), typed(type, reducer)));
        return out == null ? null : type.cast(kryo.decodeObject(out));
    }

    @Override
    public <T> T allReduce(T value, Class<T> type, BinaryOperator<T> reducer) {
        byte[] out = run("allReduce", op -> {
            byte[] reduced = reduceBytes(op, 0, kryo.encodeObject(value), typed(type, reducer));
            return broadcastBytes(op, 0, reduced);
        });
        return type.cast(kryo.decodeObject(out));
    }

    @Override
    public double[] allReduce(double[] values, ReduceOp reduceOp) {
        byte[] out = run("allReduce", op -> doublingBytes(op, PrimitiveArrays.encode(values), PrimitiveArrays.doubles(reduceOp)));
        return PrimitiveArrays.decodeDoubles(out);
    }

    @Override
    public long[] allReduce(long[] values, ReduceOp reduceOp) {
        byte[] out = run("allReduce", op -> doublingBytes(op, PrimitiveArrays.encode(values), PrimitiveArrays.longs(reduceOp)));
        return PrimitiveArrays.decodeLongs(out);
    }

    @Override
    public double[] reduce(String root, double[] values, ReduceOp reduceOp) {
        int r = rankOf(root);
        byte[] out = run("reduce", op -> reduceBytes(op, r, PrimitiveArrays.encode(values), PrimitiveArrays.doubles(reduceOp)));
        return out == null ? null : PrimitiveArrays.decodeDoubles(out);
    }

    @Override
    public long[] reduce(String root, long[] values, ReduceOp reduceOp) {
        int r = rankOf(root);
        byte[] out = run("reduce", op -> reduceBytes(op, r, PrimitiveArrays.encode(values), PrimitiveArrays.longs(reduceOp)));
        return out == null ? null : PrimitiveArrays.decodeLongs(out);
    }

    @Override
    public List<byte[]> gather(String root, byte[] data) {
        int r = rankOf(root);
        return run("gather", op -> gatherBytes(op, r, data));
    }

    @Override
    public <T> List<T> gather(String root, T value, Class<T> type) {
        List<byte[]> raw = gather(root, kryo.encodeObject(value));
        List<T> out = new ArrayList<>(raw.size());
        for (byte[] b : raw) {
            out.add(type.cast(kryo.decodeObject(b)));
        }
        return out;
    }

    // -------------------------------------------------------------------------------------------
    // Binomial trees over ranks relative to the root (vrank 0 is the root)

    /**
     * Reduces along the binomial tree rooted at rank 0, which combines in rank order (the same
     * expression for every root, so a reducer need not be commutative); rank 0 then hands the
     * result to {@code root} if that is another member (one message more).
     */
    private byte[] reduceBytes(Op op, int root, byte[] value, BinaryOperator<byte[]> combine) {
        int n = members.size();
        byte[] acc = value;
        for (int mask = 1; mask < n; mask <<= 1) {
            if ((rank & mask) != 0) {
                send(op, rank - mask, "r", acc);
                return rank == root ? receive(op, 0, "t") : null;
            }
            if (rank + mask < n) {
                acc = combine.apply(acc, receive(op, rank + mask, "r"));
            }
        }
        if (root != 0) {
            send(op, root, "t", acc);
            return null;
        }
        return acc;
    }

    /**
     * All-reduce by recursive doubling: log2(p) rounds of pairwise exchanges among the largest
     * power-of-two p of ranks, the ranks above p folded into their partner (rank - p) first and
     * given the result last. Half the rounds of reduce-then-broadcast, for operations whose
     * combine is commutative (the element-wise fast path, barrier): partners combine
     * lower-rank-first, so every member computes the same expression and gets bit-identical results.
     */
    private byte[] doublingBytes(Op op, byte[] value, BinaryOperator<byte[]> combine) {
        int n = members.size();
        int p = Integer.highestOneBit(n);
        if (rank >= p) {
            send(op, rank - p, "f", value);
            return receive(op, rank - p, "u");
        }
        byte[] acc = value;
        if (rank + p < n) {
            acc = combine.apply(acc, receive(op, rank + p, "f"));
        }
        for (int mask = 1; mask < p; mask <<= 1) {
            int partner = rank ^ mask;
            String round = "d" + mask;
            CompletableFuture<Void> sent = transport.send(members.get(partner), op.key(round), acc, op.deadline);
            byte[] theirs = receive(op, partner, round);
            await(op, sent, members.get(partner));
            acc = rank < partner ? combine.apply(acc, theirs) : combine.apply(theirs, acc);
        }
        if (rank + p < n) {
            send(op, rank + p, "u", acc);
        }
        return acc;
    }

    private byte[] broadcastBytes(Op op, int root, byte[] value) {
        int n = members.size();
        int vrank = (rank - root + n) % n;
        byte[] data = value;
        int mask = 1;
        while (mask < n) {
            if ((vrank & mask) != 0) {
                data = receive(op, real(vrank - mask, root), "b");
                break;
            }
            mask <<= 1;
        }
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (mask >>= 1; mask > 0; mask >>= 1) {
            if (vrank + mask < n) {
                sends.add(transport.send(members.get(real(vrank + mask, root)), op.key("b"), data, op.deadline));
            }
        }
        for (CompletableFuture<Void> s : sends) {
            await(op, s, null);
        }
        return data;
    }

    private List<byte[]> gatherBytes(Op op, int root, byte[] value) {
        int n = members.size();
        int vrank = (rank - root + n) % n;
        TreeMap<Integer, byte[]> subtree = new TreeMap<>();
        subtree.put(vrank, value);
        for (int mask = 1; mask < n; mask <<= 1) {
            if ((vrank & mask) != 0) {
                send(op, real(vrank - mask, root), "g", encodeParts(subtree));
                return List.of();
            }
            if (vrank + mask < n) {
                decodeParts(receive(op, real(vrank + mask, root), "g"), subtree);
            }
        }
        byte[][] byRank = new byte[n][];
        subtree.forEach((v, b) -> byRank[real(v, root)] = b);
        return List.of(byRank);
    }

    private int real(int vrank, int root) {
        return (vrank + root) % members.size();
    }

    // -------------------------------------------------------------------------------------------
    // Messages, failures and aborts

    private final class Op {
        final String name;
        final String base;
        final long deadline;

        Op(String name, long sequence) {
            this.name = name;
            this.base = Messaging.RESERVED_KEY_PREFIX + "c/" + groupId + "/" + sequence + "/";
            long byTimeout = System.nanoTime() + timeout.toNanos();
            this.deadline = capNanos != Long.MAX_VALUE && capNanos - byTimeout < 0 ? capNanos : byTimeout;
        }

        String key(String phase) {
            return base + phase;
        }

        String abortKey() {
            return base + "x";
        }
    }

    private <T> T run(String name, Function<Op, T> body) {
        long sequence;
        try {
            sequence = transport.nextCollective(groupId);
        } catch (PraasException e) {
            // This process takes no more writes (it swaps out): the others would wait for its part
            // of the operation it was about to number until their timeout. They are told now.
            PraasException error = new PraasException(e.code(), name + " over " + members + " failed on "
                    + transport.self() + ": " + e.detail());
            abortOthers(new Op(name, transport.upcomingCollective(groupId)), error.detail());
            throw error;
        }
        Op op = new Op(name, sequence);
        // Messages of this group's earlier operations can no longer be taken (aborts that reached a
        // member after it returned, sends that were retried after a failure): drop them.
        String groupPrefix = Messaging.RESERVED_KEY_PREFIX + "c/" + groupId + "/";
        transport.discard(k -> k.startsWith(groupPrefix) && olderThan(k, groupPrefix.length(), sequence));
        try {
            return body.apply(op);
        } catch (Aborted a) {
            transport.discard(k -> k.startsWith(op.base));
            throw a.error;
        } catch (RuntimeException e) {
            PraasException error = e instanceof PraasException pe
                    ? new PraasException(pe.code(), name + " over " + members + " failed on " + transport.self() + ": " + pe.detail())
                    : new PraasException(ErrorCode.INVALID_ARGUMENT, name + " over " + members + " failed on "
                            + transport.self() + ": " + e);
            abortOthers(op, error.detail());
            transport.discard(k -> k.startsWith(op.base));
            throw error;
        }
    }

    /** Whether the sequence number in a key ({@code <prefix><sequence>/<phase>}) is below {@code sequence}. */
    private static boolean olderThan(String key, int from, long sequence) {
        int slash = key.indexOf('/', from);
        try {
            return slash > from && Long.parseLong(key.substring(from, slash)) < sequence;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Another member aborted: this one fails too, without aborting again. */
    private static final class Aborted extends RuntimeException {
        final PraasException error;

        Aborted(PraasException error) {
            super(error.getMessage(), null, false, false);
            this.error = error;
        }
    }

    private void abortOthers(Op op, String reason) {
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (String m : members) {
            if (!m.equals(transport.self())) {
                transport.send(m, op.abortKey(), why, deadline).exceptionally(e -> {
                    LOG.debug("could not tell {} that {} failed: {}", m, op.name, e.toString());
                    return null;
                });
            }
        }
    }

    private void send(Op op, int to, String phase, byte[] data) {
        await(op, transport.send(members.get(to), op.key(phase), data, op.deadline), members.get(to));
    }

    private byte[] receive(Op op, int from, String phase) {
        String sender = members.get(from);
        ReceivedMessage m = await(op, transport.receive(sender, op.key(phase), op.abortKey(), op.deadline), sender);
        if (m.key().equals(op.abortKey())) {
            throw new Aborted(new PraasException(ErrorCode.PROCESS_UNAVAILABLE, op.name + " over " + members
                    + " was aborted by process " + m.from() + ": " + new String(m.data(), StandardCharsets.UTF_8)));
        }
        return m.data();
    }

    private static <T> T await(Op op, CompletableFuture<T> f, String peer) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PraasException(ErrorCode.TIMEOUT, op.name + " was interrupted");
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof PraasException pe) {
                throw pe.code() == ErrorCode.TIMEOUT && peer != null
                        ? new PraasException(ErrorCode.TIMEOUT, "no message from process " + peer + " in time (" + pe.detail() + ")")
                        : pe;
            }
            throw new PraasException(ErrorCode.UNKNOWN, String.valueOf(cause));
        }
    }

    private int rankOf(String root) {
        int r = members.indexOf(root);
        if (r < 0) {
            throw new IllegalArgumentException("the root " + root + " is not a member of " + members);
        }
        return r;
    }

    private <T> BinaryOperator<byte[]> typed(Class<T> type, BinaryOperator<T> reducer) {
        return (a, b) -> kryo.encodeObject(reducer.apply(type.cast(kryo.decodeObject(a)), type.cast(kryo.decodeObject(b))));
    }

    private static byte[] encodeParts(Map<Integer, byte[]> parts) {
        int size = 4;
        for (byte[] b : parts.values()) {
            size += 8 + b.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).putInt(parts.size());
        parts.forEach((r, b) -> out.putInt(r).putInt(b.length).put(b));
        return out.array();
    }

    private static void decodeParts(byte[] bytes, Map<Integer, byte[]> into) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        int n = in.getInt();
        for (int i = 0; i < n; i++) {
            int r = in.getInt();
            byte[] b = new byte[in.getInt()];
            in.get(b);
            into.put(r, b);
        }
    }

    private static String digest(List<String> members, String name) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (String m : members) {
                d.update(m.getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
            }
            if (!name.isEmpty()) { // (the unnamed group's id is the members' alone, as it always was)
                d.update((byte) 1);
                d.update(name.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
