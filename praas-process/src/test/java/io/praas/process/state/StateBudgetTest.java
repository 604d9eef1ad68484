package io.praas.process.state;

import io.praas.codec.KryoCodec;
import io.praas.function.StateLimitExceededException;
import io.praas.client.PraasException;
import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class StateBudgetTest {
    private static final int LIMIT = 200;

    private final StateBudget budget = new StateBudget(LIMIT);
    private final KryoCodec kryo = new KryoCodec(getClass().getClassLoader());
    private final KeyValueStore processState = new KeyValueStore(budget, kryo);
    private final KeyValueStore sessionState = new KeyValueStore(budget, kryo);
    /** A thread per task (the common pool may have one thread, which a blocked update would hold). */
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();

    @org.junit.jupiter.api.AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void twoStoresDrawOnOneBudget() {
        processState.putBytes("a", new byte[10]);
        sessionState.putBytes("b", new byte[20]);

        assertThat(budget.usedBytes()).isEqualTo(entrySize("a", 10) + entrySize("b", 20));
        assertThat(budget.usedBytes()).isEqualTo(processState.sizeBytes() + sessionState.sizeBytes());
    }

    @Test
    void oneStoresBytesLeaveLessRoomForTheOther() {
        processState.putBytes("a", new byte[100]); // 134 of 200

        assertThatThrownBy(() -> sessionState.putBytes("b", new byte[50])) // + 84
                .isInstanceOf(StateLimitExceededException.class);
        assertThat(sessionState.keys()).isEmpty();
    }

    @Test
    void bytesGivenBackByOneStoreCanBeUsedByTheOther() {
        processState.putBytes("a", new byte[100]);
        processState.delete("a");

        sessionState.putBytes("b", new byte[150]);

        assertThat(budget.usedBytes()).isEqualTo(entrySize("b", 150));
    }

    @Test
    void aNewKeyOverTheLimitThrowsAndLeavesStoreAndBudgetUnchanged() {
        processState.putBytes("a", new byte[100]);
        long used = budget.usedBytes();

        assertThatThrownBy(() -> processState.putBytes("b", new byte[100]))
                .isInstanceOfSatisfying(StateLimitExceededException.class, e -> {
                    assertThat(e.limitBytes()).isEqualTo(LIMIT);
                    assertThat(e.requestedBytes()).isEqualTo(used + entrySize("b", 100));
                });

        assertThat(processState.keys()).containsExactly("a");
        assertThat(processState.getBytes("b")).isNull();
        assertThat(processState.sizeBytes()).isEqualTo(used);
        assertThat(budget.usedBytes()).isEqualTo(used);
    }

    @Test
    void anOverwriteOverTheLimitThrowsAndKeepsTheOldValue() {
        processState.putBytes("a", new byte[] {1, 2, 3});
        long used = budget.usedBytes();

        assertThatThrownBy(() -> processState.putBytes("a", new byte[LIMIT]))
                .isInstanceOf(StateLimitExceededException.class);

        assertThat(processState.getBytes("a")).containsExactly(1, 2, 3);
        assertThat(processState.sizeBytes()).isEqualTo(used);
        assertThat(budget.usedBytes()).isEqualTo(used);
    }

    @Test
    void aComputeOverTheLimitThrowsAndKeepsTheOldValue() {
        processState.putBytes("a", new byte[] {1});
        long used = budget.usedBytes();

        assertThatThrownBy(() -> processState.compute("a", byte[].class, old -> new byte[LIMIT]))
                .isInstanceOf(StateLimitExceededException.class);

        assertThat(processState.getBytes("a")).containsExactly(1);
        assertThat(budget.usedBytes()).isEqualTo(used);
    }

    @Test
    void aWriteThatFillsTheLimitExactlyIsAccepted() {
        int value = LIMIT - (int) entrySize("a", 0);

        processState.putBytes("a", new byte[value]);

        assertThat(budget.usedBytes()).isEqualTo(LIMIT);
    }

    @Test
    void aWriteThatShrinksAnEntryIsAcceptedWhenTheBudgetIsFull() {
        processState.putBytes("a", new byte[LIMIT - (int) entrySize("a", 0)]);

        processState.putBytes("a", new byte[1]);

        assertThat(budget.usedBytes()).isEqualTo(entrySize("a", 1));
    }

    @Test
    void aLimitThatIsNotPositiveIsRejected() {
        assertThatThrownBy(() -> new StateBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sealedStoresRefuseEveryWriteWithProcessUnavailableAndStayAsTheyWere() throws Exception {
        processState.putBytes("a", new byte[10]);
        sessionState.put("b", "kept");
        long used = budget.usedBytes();

        assertThat(budget.seal("swapping out", Duration.ofSeconds(1))).isTrue();

        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> writes = List.of(
                () -> processState.putBytes("a", new byte[20]),
                () -> processState.put("c", "new"),
                () -> sessionState.compute("b", String.class, v -> v + "!"),
                () -> sessionState.delete("b"));
        for (var write : writes) {
            assertThatThrownBy(write).isInstanceOfSatisfying(PraasException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                assertThat(e.getMessage()).contains("swapping out");
            });
        }
        assertThat(processState.getBytes("a")).hasSize(10);
        assertThat(processState.keys()).containsExactly("a");
        assertThat(sessionState.get("b", String.class)).contains("kept");
        assertThat(budget.usedBytes()).isEqualTo(used);
    }

    @Test
    void sealWaitsForAWriteUnderWayAndKeepsIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> compute = computeUntil(release);

        CompletableFuture<Boolean> sealed = CompletableFuture.supplyAsync(() -> seal(Duration.ofSeconds(30)), threads);
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (catchThrowable(() -> processState.put("b", "x")) == null && System.nanoTime() < giveUp) {
            Thread.sleep(1); // until the seal is in force
        }
        assertThatThrownBy(() -> processState.put("b", "x")).isInstanceOf(PraasException.class);
        Thread.sleep(100);
        assertThat(sealed).as("seal waits while the update runs").isNotDone();
        release.countDown();

        assertThat(sealed.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(compute.get(10, TimeUnit.SECONDS)).isEqualTo("written");
        assertThat(processState.get("a", String.class)).contains("written");
    }

    @Test
    void sealSaysSoWhenAWriteDoesNotEndInTime() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> compute = computeUntil(release);
        try {
            assertThat(budget.seal("swapping out", Duration.ofMillis(50))).isFalse();
            assertThatThrownBy(() -> processState.put("b", "new")).isInstanceOf(PraasException.class);
        } finally {
            release.countDown();
        }
        assertThat(compute.get(10, TimeUnit.SECONDS)).isEqualTo("written");
    }

    @Test
    void unsealedStoresTakeWritesAgain() throws Exception {
        assertThat(budget.seal("swapping out", Duration.ofSeconds(1))).isTrue();

        budget.unseal();
        processState.put("a", "after");

        assertThat(processState.get("a", String.class)).contains("after");
    }

    /** A compute of "a" to "written" whose update runs until {@code release}; returns once it runs. */
    private CompletableFuture<String> computeUntil(CountDownLatch release) throws InterruptedException {
        CountDownLatch inUpdate = new CountDownLatch(1);
        CompletableFuture<String> compute = CompletableFuture.supplyAsync(() -> processState.compute("a", String.class, v -> {
            inUpdate.countDown();
            await(release);
            return "written";
        }), threads);
        assertThat(inUpdate.await(5, TimeUnit.SECONDS)).isTrue();
        return compute;
    }

    private boolean seal(Duration wait) {
        try {
            return budget.seal("swapping out", wait);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long entrySize(String key, int valueBytes) {
        return key.length() * 2L + valueBytes + KeyValueStore.ENTRY_OVERHEAD;
    }
}
