package io.praas.process.state;

import io.praas.codec.KryoCodec;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyValueStoreTest {
    record Point(int x, int y) {
    }

    private final StateBudget budget = new StateBudget(1024 * 1024);
    private final KeyValueStore store = new KeyValueStore(budget, new KryoCodec(getClass().getClassLoader()));

    @Test
    void theRuntimesCounterIsTakenEvenWhenTheStateIsFull() {
        StateBudget full = new StateBudget(200);
        KeyValueStore state = new KeyValueStore(full, new KryoCodec(getClass().getClassLoader()));
        state.putBytes("fill", new byte[150]);
        assertThatThrownBy(() -> state.compute("counter", Long.class, n -> n == null ? 1L : n + 1))
                .isInstanceOf(io.praas.function.StateLimitExceededException.class);

        assertThat(state.computeUnlimited("\u0001collective/g", Long.class, n -> n == null ? 1L : n + 1)).isEqualTo(1L);
        assertThat(state.computeUnlimited("\u0001collective/g", Long.class, n -> n == null ? 1L : n + 1)).isEqualTo(2L);
        assertThat(full.usedBytes()).as("counted, past the limit").isGreaterThan(200);
    }

    @Test
    void aRecordPutIsReadBackAsAnEqualRecord() {
        store.put("origin", new Point(3, 4));

        assertThat(store.get("origin", Point.class)).contains(new Point(3, 4));
    }

    @Test
    void aCollectionPutIsReadBackEqual() {
        store.put("route", List.of(new Point(0, 0), new Point(1, 2)));

        @SuppressWarnings("unchecked")
        List<Point> route = store.get("route", List.class).orElseThrow();
        assertThat(route).containsExactly(new Point(0, 0), new Point(1, 2));
    }

    @Test
    void getOfAnAbsentKeyIsEmpty() {
        assertThat(store.get("nothing", String.class)).isEmpty();
        assertThat(store.getBytes("nothing")).isNull();
    }

    @Test
    void adoptedBytesAreHeldWithoutACopyAndCountedLikeAPut() {
        byte[] restored = new byte[25];
        restored[0] = 7;

        store.adoptBytes("k", restored);

        assertThat(store.snapshot().get("k")).isSameAs(restored);
        assertThat(store.getBytes("k")).isEqualTo(restored).isNotSameAs(restored);
        assertThat(budget.usedBytes()).isEqualTo(entrySize("k", 25));
        assertThatThrownBy(() -> store.adoptBytes("big", new byte[2 * 1024 * 1024]))
                .isInstanceOf(RuntimeException.class);
        assertThat(store.keys()).containsExactly("k");
    }

    @Test
    void rawBytesRoundTripUnchanged() {
        byte[] raw = {0, 1, (byte) 0xFF, 42};

        store.putBytes("raw", raw);

        assertThat(store.getBytes("raw")).containsExactly(0, 1, 0xFF, 42);
        assertThat(store.get("raw", byte[].class)).hasValueSatisfying(v -> assertThat(v).containsExactly(0, 1, 0xFF, 42));
    }

    @Test
    void aByteArrayGivenToPutIsStoredRaw() {
        store.put("raw", new byte[] {7, 8, 9});

        assertThat(store.getBytes("raw")).containsExactly(7, 8, 9);
    }

    @Test
    void rawBytesAreCopiedInAndOut() {
        byte[] raw = {1, 2, 3};
        store.putBytes("raw", raw);

        raw[0] = 99;
        store.getBytes("raw")[1] = 99;

        assertThat(store.getBytes("raw")).containsExactly(1, 2, 3);
    }

    @Test
    void putOverwritesTheValue() {
        store.put("name", "first");
        store.put("name", "second");

        assertThat(store.get("name", String.class)).contains("second");
        assertThat(store.keys()).containsExactly("name");
    }

    @Test
    void computeOfAnAbsentKeyPassesNull() {
        List<Long> seen = new ArrayList<>();

        Long result = store.compute("hits", Long.class, n -> {
            seen.add(n);
            return 1L;
        });

        assertThat(seen).containsExactly((Long) null);
        assertThat(result).isEqualTo(1L);
        assertThat(store.get("hits", Long.class)).contains(1L);
    }

    @Test
    void computePassesTheCurrentValueAndStoresTheResult() {
        store.put("hits", 41L);

        Long result = store.compute("hits", Long.class, n -> n + 1);

        assertThat(result).isEqualTo(42L);
        assertThat(store.get("hits", Long.class)).contains(42L);
    }

    @Test
    void computeReturningNullDeletesTheKey() {
        store.put("hits", 5L);

        Long result = store.compute("hits", Long.class, n -> null);

        assertThat(result).isNull();
        assertThat(store.keys()).doesNotContain("hits");
        assertThat(store.sizeBytes()).isZero();
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void computeReturningNullForAnAbsentKeyStoresNothing() {
        assertThat(store.compute("hits", Long.class, n -> null)).isNull();

        assertThat(store.keys()).isEmpty();
        assertThat(store.sizeBytes()).isZero();
    }

    @Test
    void deleteRemovesAnExistingKeyAndSaysSo() {
        store.put("name", "x");

        assertThat(store.delete("name")).isTrue();
        assertThat(store.get("name", String.class)).isEmpty();
    }

    @Test
    void deleteOfAnAbsentKeyReturnsFalse() {
        assertThat(store.delete("name")).isFalse();
    }

    @Test
    void keysListsTheStoredKeys() {
        store.put("a", 1);
        store.putBytes("b", new byte[] {1});
        store.compute("c", Integer.class, n -> 3);

        assertThat(store.keys()).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void keysIsASnapshotThatLaterWritesDoNotChange() {
        store.put("a", 1);
        Set<String> keys = store.keys();

        store.put("b", 2);
        store.delete("a");

        assertThat(keys).containsExactly("a");
    }

    @Test
    void sizeBytesCountsKeyValueAndEntryOverhead() {
        store.putBytes("k", new byte[10]);

        assertThat(store.sizeBytes()).isEqualTo(entrySize("k", 10));
        assertThat(budget.usedBytes()).isEqualTo(entrySize("k", 10));
    }

    @Test
    void sizeBytesOfAnEncodedValueIsItsEncodedLength() {
        store.put("origin", new Point(3, 4));

        int encoded = store.snapshot().get("origin").length;
        assertThat(store.sizeBytes()).isEqualTo(entrySize("origin", encoded));
    }

    @Test
    void sizeBytesFollowsAnOverwrite() {
        store.putBytes("k", new byte[10]);

        store.putBytes("k", new byte[25]);

        assertThat(store.sizeBytes()).isEqualTo(entrySize("k", 25));
        assertThat(budget.usedBytes()).isEqualTo(entrySize("k", 25));
    }

    @Test
    void sizeBytesSumsEntries() {
        store.putBytes("a", new byte[10]);
        store.putBytes("bb", new byte[20]);

        assertThat(store.sizeBytes()).isEqualTo(entrySize("a", 10) + entrySize("bb", 20));
    }

    @Test
    void deleteGivesTheEntrysBytesBack() {
        store.putBytes("a", new byte[10]);
        store.putBytes("b", new byte[20]);

        store.delete("a");

        assertThat(store.sizeBytes()).isEqualTo(entrySize("b", 20));
        assertThat(budget.usedBytes()).isEqualTo(entrySize("b", 20));
    }

    @Test
    void aComputesUpdateThatWritesStateIsRefusedAndChangesNothing() {
        List<String> journaled = new ArrayList<>();
        store.journal(recording(journaled));
        store.putBytes("a", new byte[10]);
        long used = budget.usedBytes();
        journaled.clear();

        assertThatThrownBy(() -> store.compute("a", byte[].class, v -> {
            store.putBytes("a", new byte[1000]);
            return new byte[10];
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("must not write state");
        for (int i = 0; i < 64; i++) { // keys of other bins, and of the same bin as the target
            String key = "k" + i;
            assertThatThrownBy(() -> store.compute("absent", byte[].class, v -> {
                store.putBytes(key, new byte[50]);
                return new byte[1];
            })).isInstanceOf(IllegalStateException.class);
        }

        assertThat(store.keys()).containsExactly("a");
        assertThat(store.getBytes("a")).hasSize(10);
        assertThat(budget.usedBytes()).isEqualTo(used);
        assertThat(journaled).isEmpty();
        assertThat(store.compute("a", byte[].class, v -> new byte[2])).hasSize(2); // still usable
    }

    @Test
    void aChangeTheJournalRefusesGivesItsBytesBack() {
        store.putBytes("kept", new byte[100]);
        long used = budget.usedBytes();
        store.journal(new StateJournal() {
            @Override
            public void put(String session, String key, byte[] value) {
                throw new IllegalStateException("journal append failed");
            }

            @Override
            public void delete(String session, String key) {
                throw new IllegalStateException("journal append failed");
            }

            @Override
            public void sessionOpened(String session) {
            }

            @Override
            public void sessionClosed(String session) {
            }
        });

        for (int i = 0; i < 10; i++) {
            String key = "new" + i;
            assertThatThrownBy(() -> store.putBytes(key, new byte[1000])).hasMessageContaining("journal");
            assertThatThrownBy(() -> store.compute(key, Long.class, n -> 1L)).hasMessageContaining("journal");
        }
        assertThatThrownBy(() -> store.delete("kept")).hasMessageContaining("journal");
        assertThatThrownBy(() -> store.compute("kept", byte[].class, v -> null)).hasMessageContaining("journal");

        assertThat(store.keys()).containsExactly("kept");
        assertThat(budget.usedBytes()).isEqualTo(used);
        assertThat(store.sizeBytes()).isEqualTo(used);
        store.journal(StateJournal.NONE);
        store.delete("kept");
        assertThat(budget.usedBytes()).isZero();
    }

    private static StateJournal recording(List<String> into) {
        return new StateJournal() {
            @Override
            public void put(String session, String key, byte[] value) {
                into.add("put " + key);
            }

            @Override
            public void delete(String session, String key) {
                into.add("delete " + key);
            }

            @Override
            public void sessionOpened(String session) {
                into.add("open " + session);
            }

            @Override
            public void sessionClosed(String session) {
                into.add("close " + session);
            }
        };
    }

    @Test
    void closeRemovesEverythingAndGivesAllBytesBack() {
        store.putBytes("a", new byte[10]);
        store.put("b", new Point(1, 2));

        store.close(() -> { });

        assertThat(store.keys()).isEmpty();
        assertThat(store.sizeBytes()).isZero();
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void snapshotHoldsTheEncodedValues() {
        store.putBytes("raw", new byte[] {5, 6});

        Map<String, byte[]> snapshot = store.snapshot();

        assertThat(snapshot).containsOnlyKeys("raw");
        assertThat(snapshot.get("raw")).containsExactly(5, 6);
    }

    @Test
    void concurrentComputesOnOneKeyLoseNoIncrement() throws Exception {
        int threads = 8;
        int perThread = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        store.compute("counter", Long.class, n -> n == null ? 1L : n + 1);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(store.get("counter", Long.class)).contains((long) threads * perThread);
        assertThat(store.sizeBytes()).isEqualTo(entrySize("counter", store.snapshot().get("counter").length));
        assertThat(budget.usedBytes()).isEqualTo(store.sizeBytes());
    }

    @Test
    void anEmptyKeyIsRejected() {
        assertThatThrownBy(() -> store.put("", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.get("", Integer.class)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeyOfExactly1024BytesIsAccepted() {
        String key = "k".repeat(KeyValueStore.MAX_KEY_BYTES);

        store.put(key, 1);

        assertThat(store.get(key, Integer.class)).contains(1);
    }

    @Test
    void aKeyLongerThan1024BytesIsRejected() {
        String key = "k".repeat(KeyValueStore.MAX_KEY_BYTES + 1);

        assertThatThrownBy(() -> store.put(key, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1024");
        assertThat(store.keys()).isEmpty();
    }

    @Test
    void aKeyOfFewCharactersButMoreThan1024Utf8BytesIsRejected() {
        String key = "é".repeat(600); // 600 characters, 1200 UTF-8 bytes
        assertThat(key.getBytes(StandardCharsets.UTF_8)).hasSize(1200);

        assertThatThrownBy(() -> store.putBytes(key, new byte[1])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void getAsTheWrongTypeThrowsClassCastException() {
        store.put("name", "text");

        assertThatThrownBy(() -> store.get("name", Integer.class))
                .isInstanceOf(ClassCastException.class)
                .hasMessageContaining("java.lang.String");
    }

    @Test
    void rawBytesReadAsATypedValueThrowClassCastException() {
        store.putBytes("raw", new byte[] {0}); // Kryo would read this byte as a null reference

        assertThatThrownBy(() -> store.get("raw", String.class)).isInstanceOf(ClassCastException.class);
    }

    @Test
    void computeAsTheWrongTypeThrowsClassCastExceptionAndKeepsTheValue() {
        store.put("name", "text");

        assertThatThrownBy(() -> store.compute("name", Integer.class, n -> 1))
                .isInstanceOf(ClassCastException.class);
        assertThat(store.get("name", String.class)).contains("text");
    }

    @Test
    void aPrimitiveTypeReadsItsBoxedValue() {
        store.put("n", 7L);

        assertThat(store.get("n", long.class)).contains(7L);
    }

    private static long entrySize(String key, int valueBytes) {
        return key.length() * 2L + valueBytes + KeyValueStore.ENTRY_OVERHEAD;
    }
}
