package io.praas.process.state;

import io.praas.codec.KryoCodec;
import io.praas.function.StateLimitExceededException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateBudgetTest {
    private static final int LIMIT = 200;

    private final StateBudget budget = new StateBudget(LIMIT);
    private final KryoCodec kryo = new KryoCodec(getClass().getClassLoader());
    private final KeyValueStore processState = new KeyValueStore(budget, kryo);
    private final KeyValueStore sessionState = new KeyValueStore(budget, kryo);

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

    private static long entrySize(String key, int valueBytes) {
        return key.length() * 2L + valueBytes + KeyValueStore.ENTRY_OVERHEAD;
    }
}
