package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.codec.KryoCodec;
import io.praas.function.Group;
import io.praas.function.ReceivedMessage;
import io.praas.function.ReduceOp;
import io.praas.process.state.StateBudget;
import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The collective algorithms over real mailboxes, with an in-memory network between them (the
 * end-to-end tests run them between OS processes through the control plane).
 */
class GroupImplTest {
    private static final KryoCodec KRYO = new KryoCodec(GroupImplTest.class.getClassLoader());
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    /** N processes with a mailbox each; messages are delivered straight into the receiver's. */
    private static final class Network {
        final List<String> ids;
        final Map<String, Mailbox> boxes = new ConcurrentHashMap<>();
        final Set<String> dead = ConcurrentHashMap.newKeySet();
        final AtomicInteger messages = new AtomicInteger();

        Network(int n) {
            ids = IntStream.range(0, n).mapToObj(i -> "p-" + i).toList();
            ids.forEach(id -> boxes.put(id, new Mailbox(new StateBudget(64 << 20))));
        }

        /** Each process's sequence numbers, kept across its Group objects as a process keeps them. */
        final Map<String, Map<String, AtomicLong>> sequencesOf = new ConcurrentHashMap<>();

        Transport transport(String self) {
            Map<String, AtomicLong> sequences = sequencesOf.computeIfAbsent(self, s -> new ConcurrentHashMap<>());
            return new Transport() {
                @Override
                public String self() {
                    return self;
                }

                @Override
                public CompletableFuture<Void> send(String target, String key, byte[] data, long deadlineNanos) {
                    if (dead.contains(target)) {
                        return CompletableFuture.failedFuture(new PraasException(ErrorCode.PROCESS_UNAVAILABLE,
                                "process " + target + " is FAILED"));
                    }
                    messages.incrementAndGet();
                    boxes.get(target).deliver(self, key, data.clone());
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public CompletableFuture<ReceivedMessage> receive(String from, String key, String abortKey, long deadlineNanos) {
                    return boxes.get(self).receive(from, key, abortKey, deadlineNanos - System.nanoTime());
                }

                @Override
                public void discard(java.util.function.Predicate<String> drop) {
                    boxes.get(self).dropKeys(drop);
                }

                @Override
                public long nextCollective(String groupId) {
                    return sequences.computeIfAbsent(groupId, g -> new AtomicLong()).incrementAndGet();
                }

                @Override
                public long upcomingCollective(String groupId) {
                    return sequences.computeIfAbsent(groupId, g -> new AtomicLong()).get() + 1;
                }
            };
        }

        Group group(String self, Duration timeout) {
            return new GroupImpl(ids, transport(self), KRYO, timeout);
        }

        /** A process dies: peers' receives from it fail, as the world update makes them. */
        void kill(String id) {
            dead.add(id);
            boxes.forEach((other, box) -> box.failWaitersFrom(id::equals, x -> "process " + x + " is FAILED"));
        }

        int storedMessages() {
            return boxes.values().stream().mapToInt(Mailbox::size).sum();
        }
    }

    /** Runs {@code op} on every member at once; returns each member's result by rank. */
    private <T> List<T> onEveryMember(Network net, Function<Group, T> op) throws Exception {
        List<Future<T>> futures = new ArrayList<>();
        for (String id : net.ids) {
            Group g = net.group(id, TIMEOUT);
            futures.add(threads.submit(() -> op.apply(g)));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> f : futures) {
            results.add(f.get(30, TimeUnit.SECONDS));
        }
        return results;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 8, 13})
    void allReduceGivesEveryMemberTheSum(int n) throws Exception {
        Network net = new Network(n);
        List<long[]> results = onEveryMember(net, g -> g.allReduce(new long[] {g.rank() + 1, 1}, ReduceOp.SUM));

        long expected = (long) n * (n + 1) / 2;
        assertThat(results).allSatisfy(r -> assertThat(r).containsExactly(expected, n));
        assertThat(net.storedMessages()).as("nothing left in any mailbox").isZero();
        int p = Integer.highestOneBit(n);
        assertThat(net.messages.get()).as("recursive doubling: p log2 p exchanges, 2 per folded rank")
                .isEqualTo(p * Integer.numberOfTrailingZeros(p) + 2 * (n - p));
    }

    @Test
    void membersOutOfStepAfterASkippedOperationGoOnInStepUnderANewName() throws Exception {
        Network net = new Network(3);
        Duration shortWait = Duration.ofMillis(300);
        // p-2 skips a barrier (its invocation failed before the call): the others time out (the one
        // that times out first aborts the other's wait).
        List<Future<Throwable>> skipped = new ArrayList<>();
        for (String id : net.ids.subList(0, 2)) {
            Group g = net.group(id, shortWait);
            skipped.add(threads.submit(() -> catchThrowable(g::barrier)));
        }
        for (Future<Throwable> f : skipped) {
            assertThat(f.get(30, TimeUnit.SECONDS)).isInstanceOfSatisfying(PraasException.class, e ->
                    assertThat(e.code()).isIn(ErrorCode.TIMEOUT, ErrorCode.PROCESS_UNAVAILABLE));
        }
        // Out of step under the old numbering: p-2 numbers its next operation as the skipped one.
        List<Throwable> outOfStep = onEveryMember(net, g -> catchThrowable(() -> g.withTimeout(shortWait)
                .allReduce(new long[] {1}, ReduceOp.SUM)));
        assertThat(outOfStep).anySatisfy(t -> assertThat(t).isInstanceOf(PraasException.class));

        List<long[]> named = onEveryMember(net, g -> g.named("epoch-2").allReduce(new long[] {g.rank() + 1}, ReduceOp.SUM));

        assertThat(named).allSatisfy(r -> assertThat(r).containsExactly(6));
        List<long[]> again = onEveryMember(net, g -> g.named("epoch-2").allReduce(new long[] {1}, ReduceOp.SUM));
        assertThat(again).allSatisfy(r -> assertThat(r).containsExactly(3)); // and stay in step under it
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    void typedAllReduceCombinesInRankOrder(int n) throws Exception {
        Network net = new Network(n);
        List<String> results = onEveryMember(net, g -> g.allReduce("[" + g.rank() + "]", String.class, String::concat));

        String expected = IntStream.range(0, n).mapToObj(i -> "[" + i + "]").reduce("", String::concat);
        assertThat(results).containsOnly(expected);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 6, 8, 13})
    void floatingPointSumsAreBitIdenticalOnEveryMember(int n) throws Exception {
        Network net = new Network(n);
        List<double[]> results = onEveryMember(net, g -> g.allReduce(new double[] {0.1 * (g.rank() + 1), 1e16,
                -1e16 + g.rank() / 3.0}, ReduceOp.SUM));

        assertThat(results).allSatisfy(r -> assertThat(r).containsExactly(results.get(0)));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    void doubleArraysReduceElementWise(int n) throws Exception {
        Network net = new Network(n);
        List<double[]> results = onEveryMember(net, g -> g.allReduce(new double[] {g.rank(), -g.rank(), 0.5}, ReduceOp.MAX));

        assertThat(results).allSatisfy(r -> assertThat(r).containsExactly(n - 1, 0, 0.5));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    void primitiveArraysReduceElementWiseToTheirRootOnly(int n) throws Exception {
        Network net = new Network(n);
        String root = net.ids.get(n / 2);
        List<long[]> longs = onEveryMember(net, g -> g.reduce(root, new long[] {g.rank(), 1, -g.rank()}, ReduceOp.SUM));
        Network again = new Network(n);
        List<double[]> doubles = onEveryMember(again, g -> g.reduce(root, new double[] {g.rank(), 0.5}, ReduceOp.MIN));

        long sum = (long) n * (n - 1) / 2;
        for (int r = 0; r < n; r++) {
            if (r == n / 2) {
                assertThat(longs.get(r)).containsExactly(sum, n, -sum);
                assertThat(doubles.get(r)).containsExactly(0, 0.5);
            } else {
                assertThat(longs.get(r)).as("rank %d", r).isNull();
                assertThat(doubles.get(r)).as("rank %d", r).isNull();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    void reduceDeliversToItsRootOnly(int n) throws Exception {
        Network net = new Network(n);
        String root = net.ids.get(n - 1);
        List<Integer> results = onEveryMember(net, g -> g.reduce(root, g.rank() * 10, Integer.class, Integer::sum));

        for (int r = 0; r < n; r++) {
            assertThat(results.get(r)).as("rank %d", r).isEqualTo(r == n - 1 ? 10 * n * (n - 1) / 2 : null);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    void typedReduceCombinesInRankOrderWhateverItsRoot(int n) throws Exception {
        String expected = IntStream.range(0, n).mapToObj(i -> "[" + i + "]").reduce("", String::concat);
        for (int root : new int[] {0, n / 2, n - 1}) {
            Network net = new Network(n);
            String rootId = net.ids.get(root);
            List<String> results = onEveryMember(net, g -> g.reduce(rootId, "[" + g.rank() + "]", String.class,
                    String::concat));

            for (int r = 0; r < n; r++) {
                assertThat(results.get(r)).as("root %d, rank %d", root, r).isEqualTo(r == root ? expected : null);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    void broadcastFromAnyRootReachesEveryone(int n) throws Exception {
        Network net = new Network(n);
        String root = net.ids.get(n / 2);
        List<byte[]> results = onEveryMember(net, g -> g.broadcast(root,
                g.members().get(g.rank()).equals(root) ? "news".getBytes(StandardCharsets.UTF_8) : null));

        assertThat(results).allSatisfy(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("news"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    void gatherCollectsInRankOrderAtTheRoot(int n) throws Exception {
        Network net = new Network(n);
        String root = net.ids.get(1);
        List<List<String>> results = onEveryMember(net, g -> g.gather(root, "v" + g.rank(), String.class));

        List<String> expected = IntStream.range(0, n).mapToObj(i -> "v" + i).toList();
        for (int r = 0; r < n; r++) {
            assertThat(results.get(r)).as("rank %d", r).isEqualTo(r == 1 ? expected : List.of());
        }
    }

    @Test
    void barrierReturnsOnlyWhenEveryoneHasArrived() throws Exception {
        Network net = new Network(5);
        AtomicInteger arrived = new AtomicInteger();
        List<Integer> seen = onEveryMember(net, g -> {
            if (g.rank() == 4) {
                sleep(300);
            }
            arrived.incrementAndGet();
            g.barrier();
            return arrived.get();
        });

        assertThat(seen).containsOnly(5);
    }

    @Test
    void consecutiveCollectivesDoNotMixTheirMessages() throws Exception {
        Network net = new Network(5);
        List<String> results = onEveryMember(net, g -> {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                b.append(g.allReduce(new long[] {i}, ReduceOp.SUM)[0]).append(',');
            }
            return b.toString();
        });

        String expected = IntStream.range(0, 20).mapToObj(i -> String.valueOf(i * 5L)).reduce("", (a, x) -> a + x + ",");
        assertThat(results).containsOnly(expected);
    }

    @Test
    void aMemberThatNeverComesTimesOutItsNeighboursAndTheRestAreAbortedNotHung() throws Exception {
        Network net = new Network(5);
        List<Future<Throwable>> failures = new ArrayList<>();
        long start = System.nanoTime();
        for (String id : net.ids.subList(0, 4)) { // p-4 never calls
            Group g = net.group(id, Duration.ofMillis(500));
            failures.add(threads.submit(() -> catchThrowable(() -> g.allReduce(new long[] {1}, ReduceOp.SUM))));
        }
        List<Throwable> thrown = new ArrayList<>();
        for (Future<Throwable> f : failures) {
            thrown.add(f.get(10, TimeUnit.SECONDS));
        }

        assertThat(thrown).allSatisfy(t -> assertThat(t).isInstanceOfSatisfying(PraasException.class,
                e -> assertThat(e.code()).isIn(ErrorCode.TIMEOUT, ErrorCode.PROCESS_UNAVAILABLE)));
        assertThat(thrown).anySatisfy(t -> assertThat(((PraasException) t).detail()).contains("p-4"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void leftoversOfAFailedOperationAreDroppedByTheNextOne() throws Exception {
        Network net = new Network(3);
        List<Future<Throwable>> failures = new ArrayList<>();
        for (String id : net.ids.subList(0, 2)) { // p-2 misses this one
            Group g = net.group(id, Duration.ofMillis(300));
            failures.add(threads.submit(() -> catchThrowable(() -> g.allReduce(new long[] {1}, ReduceOp.SUM))));
        }
        for (Future<Throwable> f : failures) {
            assertThat(f.get(10, TimeUnit.SECONDS)).isInstanceOf(PraasException.class);
        }
        // p-2 comes late to the same operation: it fails too, and its part and the others' aborts
        // stay in mailboxes where nobody will take them.
        Group late = net.group("p-2", Duration.ofMillis(300));
        assertThat(catchThrowable(() -> late.allReduce(new long[] {1}, ReduceOp.SUM))).isInstanceOf(PraasException.class);
        assertThat(net.storedMessages()).isPositive();

        // The next operation (sequence 2 on every member) drops them, and is not confused by them.
        List<long[]> sums = onEveryMember(net, g -> g.allReduce(new long[] {5}, ReduceOp.SUM));
        assertThat(sums).allSatisfy(r -> assertThat(r).containsExactly(15));
        assertThat(net.storedMessages()).isZero();
    }

    @Test
    void aMemberThatDiesMidCollectiveFailsEveryoneWithAClearError() throws Exception {
        Network net = new Network(8);
        List<Future<Throwable>> failures = new ArrayList<>();
        for (String id : net.ids) {
            if (id.equals("p-6")) {
                continue; // it dies before sending its part
            }
            Group g = net.group(id, Duration.ofSeconds(30));
            failures.add(threads.submit(() -> catchThrowable(() -> g.allReduce(new long[] {1}, ReduceOp.SUM))));
        }
        sleep(200);
        net.kill("p-6");

        for (Future<Throwable> f : failures) {
            Throwable t = f.get(10, TimeUnit.SECONDS);
            assertThat(t).isInstanceOfSatisfying(PraasException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                assertThat(e.detail()).contains("p-6");
            });
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5, 8})
    void aMemberThatDiesAfterSendingItsPartEndsTheTypedAllReduceWithAClearError(int n) throws Exception {
        Network net = new Network(n);
        String victim = "p-" + (n - 1); // a leaf of the tree: it sends its part, then waits for the result
        List<Future<Object>> outcomes = new ArrayList<>();
        for (String id : net.ids) {
            Transport t = net.transport(id);
            Transport dying = !id.equals(victim) ? t : new Transport() {
                @Override
                public String self() {
                    return t.self();
                }

                @Override
                public CompletableFuture<Void> send(String target, String key, byte[] data, long deadlineNanos) {
                    // Dies as its part goes out: nothing reaches it any more (before its part is
                    // taken, so no member can send it the result first), then those waiting on it
                    // learn it is gone.
                    net.dead.add(victim);
                    CompletableFuture<Void> sent = t.send(target, key, data, deadlineNanos);
                    net.kill(victim);
                    return sent;
                }

                @Override
                public CompletableFuture<ReceivedMessage> receive(String from, String key, String abortKey, long deadlineNanos) {
                    return new CompletableFuture<>(); // a dead process takes nothing more
                }

                @Override
                public void discard(java.util.function.Predicate<String> drop) {
                    t.discard(drop);
                }

                @Override
                public long nextCollective(String groupId) {
                    return t.nextCollective(groupId);
                }

                @Override
                public long upcomingCollective(String groupId) {
                    return t.upcomingCollective(groupId);
                }
            };
            Group g = new GroupImpl(net.ids, dying, KRYO, Duration.ofSeconds(30));
            if (!id.equals(victim)) {
                outcomes.add(threads.submit(() -> {
                    try {
                        return g.allReduce("[" + g.rank() + "]", String.class, String::concat);
                    } catch (PraasException e) {
                        return e;
                    }
                }));
            } else {
                threads.submit(() -> g.allReduce("[" + g.rank() + "]", String.class, String::concat));
            }
        }

        String full = IntStream.range(0, n).mapToObj(i -> "[" + i + "]").reduce("", String::concat);
        List<Object> seen = new ArrayList<>();
        for (Future<Object> f : outcomes) {
            seen.add(f.get(15, TimeUnit.SECONDS)); // an answer, not a hang
        }
        // Members the result reached before anyone tried the dead one have it whole; the rest fail
        // with the dead member's name (directly, or through an abort from the member that saw it).
        assertThat(seen).allSatisfy(o -> {
            if (o instanceof PraasException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                assertThat(e.detail()).contains(victim);
            } else {
                assertThat(o).isEqualTo(full);
            }
        });
        assertThat(seen).anySatisfy(o -> assertThat(o).isInstanceOf(PraasException.class));
    }

    @Test
    void aMemberThatCanNoLongerNumberAnOperationTellsTheOthersAtOnce() throws Exception {
        Network net = new Network(3);
        // Every member has done one operation; then p-2 starts swapping out and its state takes no
        // more writes, so it cannot take the next operation's number.
        onEveryMember(net, g -> g.allReduce(new long[] {1}, ReduceOp.SUM));
        List<Future<Object>> outcomes = new ArrayList<>();
        for (String id : net.ids) {
            Transport t = net.transport(id);
            Transport sealed = !id.equals("p-2") ? t : new Transport() {
                @Override
                public String self() {
                    return t.self();
                }

                @Override
                public CompletableFuture<Void> send(String target, String key, byte[] data, long deadlineNanos) {
                    return t.send(target, key, data, deadlineNanos);
                }

                @Override
                public CompletableFuture<ReceivedMessage> receive(String from, String key, String abortKey, long deadlineNanos) {
                    return t.receive(from, key, abortKey, deadlineNanos);
                }

                @Override
                public void discard(java.util.function.Predicate<String> drop) {
                    t.discard(drop);
                }

                @Override
                public long nextCollective(String groupId) {
                    throw new PraasException(ErrorCode.PROCESS_UNAVAILABLE, "process p-2 is swapping out");
                }

                @Override
                public long upcomingCollective(String groupId) {
                    return t.upcomingCollective(groupId);
                }
            };
            Group g = new GroupImpl(net.ids, sealed, KRYO, Duration.ofSeconds(60));
            outcomes.add(threads.submit(() -> {
                try {
                    return g.allReduce("[" + g.rank() + "]", String.class, String::concat);
                } catch (PraasException e) {
                    return e;
                }
            }));
        }

        for (Future<Object> f : outcomes) {
            Object o = f.get(20, TimeUnit.SECONDS); // long before the group's 60 s timeout
            assertThat(o).isInstanceOfSatisfying(PraasException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                assertThat(e.detail()).contains("p-2").contains("swapping out");
            });
        }
    }

    @Test
    void arraysOfDifferentLengthsFailEveryMember() throws Exception {
        Network net = new Network(3);
        List<Throwable> thrown = onEveryMember(net, g -> catchThrowable(() ->
                g.allReduce(new double[g.rank() == 2 ? 3 : 2], ReduceOp.SUM)));

        assertThat(thrown).allSatisfy(t -> assertThat(t).isInstanceOf(PraasException.class));
        assertThat(thrown).anySatisfy(t -> assertThat(t.getMessage()).contains("differ in length"));
    }

    @Test
    void aGroupMustContainThisProcessOnce() {
        Network net = new Network(2);
        assertThat(catchThrowable(() -> new GroupImpl(List.of("p-1"), net.transport("p-0"), KRYO, TIMEOUT)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a member");
        assertThat(catchThrowable(() -> new GroupImpl(List.of("p-0", "p-0"), net.transport("p-0"), KRYO, TIMEOUT)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("once");
        assertThat(Arrays.asList(new GroupImpl(List.of("p-0", "p-1"), net.transport("p-1"), KRYO, TIMEOUT).rank()))
                .containsExactly(1);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
