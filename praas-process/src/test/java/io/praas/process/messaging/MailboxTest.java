package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.function.ReceivedMessage;
import io.praas.process.state.StateBudget;
import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MailboxTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private final StateBudget budget = new StateBudget(1024 * 1024);
    private final Mailbox box = new Mailbox(budget);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(CompletableFuture<ReceivedMessage> f) throws Exception {
        ReceivedMessage m = f.get(5, TimeUnit.SECONDS);
        return m.from() + ":" + new String(m.data(), StandardCharsets.UTF_8);
    }

    @Test
    void aDeliveryTheJournalRefusesTakesNoBytesAndStoresNothing() {
        box.journal(new Mailbox.Journal() {
            @Override
            public void mailboxPut(long seq, String from, String key, byte[] data) {
                throw new IllegalStateException("journal closed");
            }

            @Override
            public void mailboxTake(long seq) {
            }
        });

        assertThatThrownBy(() -> box.deliver("a", "k", utf8("lost?"))).isInstanceOf(IllegalStateException.class);

        assertThat(budget.usedBytes()).isZero();
        assertThat(box.size()).isZero();
    }

    @Test
    void messagesOfOneKeyAreTakenOldestFirst() throws Exception {
        box.deliver("a", "k", utf8("1"));
        box.deliver("b", "k", utf8("2"));
        box.deliver("a", "k", utf8("3"));

        assertThat(text(box.receive(Mailbox.ANY, "k", null, SECOND))).isEqualTo("a:1");
        assertThat(text(box.receive(Mailbox.ANY, "k", null, SECOND))).isEqualTo("b:2");
        assertThat(text(box.receive("a", "k", null, SECOND))).isEqualTo("a:3");
        assertThat(box.size()).isZero();
    }

    @Test
    void receiveFromOneSenderSkipsOthersMessages() throws Exception {
        box.deliver("a", "k", utf8("from a"));
        box.deliver("b", "k", utf8("from b"));

        assertThat(text(box.receive("b", "k", null, SECOND))).isEqualTo("b:from b");
        assertThat(box.size()).isEqualTo(1);
        assertThat(text(box.receive(Mailbox.ANY, "k", null, SECOND))).isEqualTo("a:from a");
    }

    @Test
    void keysAreSeparateQueues() throws Exception {
        box.deliver("a", "x", utf8("x1"));
        box.deliver("a", "y", utf8("y1"));

        assertThat(text(box.receive(Mailbox.ANY, "y", null, SECOND))).isEqualTo("a:y1");
        assertThat(text(box.receive(Mailbox.ANY, "x", null, SECOND))).isEqualTo("a:x1");
    }

    @Test
    void aWaitingReceiveGetsTheNextMatchingDelivery() throws Exception {
        CompletableFuture<ReceivedMessage> waiting = box.receive("b", "k", null, 5 * SECOND);
        box.deliver("a", "k", utf8("not for it"));
        assertThat(waiting).isNotDone();
        box.deliver("b", "k", utf8("for it"));

        assertThat(text(waiting)).isEqualTo("b:for it");
        assertThat(box.size()).isEqualTo(1);
    }

    @Test
    void aReceiveWithNothingTimesOut() {
        CompletableFuture<ReceivedMessage> f = box.receive(Mailbox.ANY, "k", null, TimeUnit.MILLISECONDS.toNanos(50));

        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(PraasException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
        box.deliver("a", "k", utf8("late"));
        assertThat(box.size()).as("a message after the timeout is kept, not lost").isEqualTo(1);
    }

    @Test
    void anAbortKeyEndsTheWait() throws Exception {
        CompletableFuture<ReceivedMessage> f = box.receive("a", "data", "abort", 5 * SECOND);
        box.deliver("c", "abort", utf8("c failed"));

        ReceivedMessage m = f.get(5, TimeUnit.SECONDS);
        assertThat(m.key()).isEqualTo("abort");
        assertThat(m.from()).isEqualTo("c");
    }

    @Test
    void waitersOnAGoneSenderFailAtOnce() {
        CompletableFuture<ReceivedMessage> onA = box.receive("a", "k", null, 60 * SECOND);
        CompletableFuture<ReceivedMessage> onAny = box.receive(Mailbox.ANY, "k", null, 60 * SECOND);

        box.failWaitersFrom("a"::equals, id -> id + " failed");

        assertThatThrownBy(() -> onA.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(PraasException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                    assertThat(e.detail()).isEqualTo("a failed");
                });
        assertThat(onAny).isNotDone();
        onAny.cancel(true);
    }

    @Test
    void aMessageForAReceiveItsCallerEndedFirstStaysInTheMailboxInItsPlace() throws Exception {
        CompletableFuture<ReceivedMessage> abandoned = box.receive("a", "k", null, 60 * SECOND);
        abandoned.cancel(true); // (or an orTimeout of the caller's own): the waiter is still registered
        CompletableFuture<ReceivedMessage> other = box.receive("a", "k", null, 60 * SECOND);
        other.complete(null);

        box.deliver("a", "k", utf8("1"));
        box.deliver("a", "k", utf8("2"));

        assertThat(box.size()).isEqualTo(2);
        assertThat(text(box.receive("a", "k", null, SECOND))).isEqualTo("a:1");
        assertThat(text(box.receive("a", "k", null, SECOND))).isEqualTo("a:2");
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void restoredMessagesTakeTheirPlaceByArrivalOrder() throws Exception {
        box.restore(3, "a", "k", utf8("3"));
        box.restore(1, "a", "k", utf8("1")); // a journal's put after a receive gave the message back
        box.restore(2, "a", "k", utf8("2"));

        assertThat(text(box.receive("a", "k", null, SECOND))).isEqualTo("a:1");
        assertThat(text(box.receive("a", "k", null, SECOND))).isEqualTo("a:2");
        assertThat(text(box.receive("a", "k", null, SECOND))).isEqualTo("a:3");
    }

    @Test
    void pollTakesTheOldestMatchWithoutWaiting() {
        box.deliver("a", "k", utf8("1"));
        box.deliver("b", "k", utf8("2"));

        assertThat(box.poll("b", "k", null).data()).isEqualTo(utf8("2"));
        assertThat(box.poll("b", "k", null)).isNull();
        assertThat(box.poll(Mailbox.ANY, "k", null).data()).isEqualTo(utf8("1"));
        assertThat(box.size()).isZero();
    }

    @Test
    void storedMessagesCountAgainstTheStateLimitAndAreGivenBackWhenTaken() throws Exception {
        Mailbox small = new Mailbox(new StateBudget(1000));
        small.deliver("a", "k", new byte[800]);

        assertThatThrownBy(() -> small.deliver("a", "k", new byte[800]))
                .isInstanceOfSatisfying(PraasException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.STATE_LIMIT_EXCEEDED));
        small.receive("a", "k", null, SECOND).get(5, TimeUnit.SECONDS);
        small.deliver("a", "k", new byte[800]);
        assertThat(small.size()).isEqualTo(1);
    }

    @Test
    void aSealedMailboxGivesOutNothingAndEndsWaitingReceives() {
        box.deliver("a", "k", utf8("kept for the snapshot"));
        CompletableFuture<ReceivedMessage> waiting = box.receive("a", "other", null, 60 * SECOND);

        box.seal();

        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(PraasException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE));
        assertThat(box.receive("a", "k", null, SECOND)).isCompletedExceptionally();
        assertThat(box.snapshot()).hasSize(1);
    }

    @Test
    void aSealedMailboxDropsNothing() {
        box.deliver("p-1", "\u0001c/g/1/up", utf8("left over"));
        box.seal();

        assertThat(box.dropKeys(k -> true)).isZero();
        assertThat(box.snapshot()).hasSize(1);
    }

    @Test
    void aSealedMailboxRefusesDeliveriesUntilUnsealed() {
        box.seal();
        assertThatThrownBy(() -> box.deliver("a", "k", utf8("x"))).isInstanceOfSatisfying(PraasException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE));
        box.unseal();
        box.deliver("a", "k", utf8("x"));
        assertThat(box.size()).isEqualTo(1);
    }

    @Test
    void theJournalSeesEveryPutAndTakeAndAReplayRebuildsTheSameMailbox() throws Exception {
        List<String> log = new ArrayList<>();
        Mailbox journaled = new Mailbox(new StateBudget(1 << 20));
        Mailbox.Journal journal = new Mailbox.Journal() {
            @Override
            public void mailboxPut(long seq, String from, String key, byte[] data) {
                log.add("put " + seq + " " + from + " " + key + " " + new String(data, StandardCharsets.UTF_8));
            }

            @Override
            public void mailboxTake(long seq) {
                log.add("take " + seq);
            }
        };
        journaled.journal(journal);
        journaled.deliver("a", "k", utf8("1"));
        journaled.deliver("a", "k", utf8("2"));
        journaled.receive("a", "k", null, SECOND).get();
        CompletableFuture<ReceivedMessage> waiting = journaled.receive("b", "j", null, SECOND);
        journaled.deliver("b", "j", utf8("handed"));
        waiting.get();

        assertThat(log).containsExactly("put 1 a k 1", "put 2 a k 2", "take 1", "put 3 b j handed", "take 3");

        Mailbox replayed = new Mailbox(new StateBudget(1 << 20));
        replayed.restore(1, "a", "k", utf8("1"));
        replayed.restore(2, "a", "k", utf8("2"));
        replayed.restoreTake(1);
        replayed.restore(3, "b", "j", utf8("handed"));
        replayed.restoreTake(3);
        assertThat(replayed.snapshot()).extracting(Mailbox.Stored::seq).containsExactly(2L);
        assertThat(text(replayed.receive("a", "k", null, SECOND))).isEqualTo("a:2");
    }

    @Test
    void droppingAPrefixRemovesOnlyThoseKeys() {
        box.deliver("a", "\u0001c/g/1/r", utf8("left over"));
        box.deliver("a", "user", utf8("kept"));

        assertThat(box.dropKeys(k -> k.startsWith("\u0001c/g/1/"))).isEqualTo(1);
        assertThat(box.snapshot()).extracting(Mailbox.Stored::key).containsExactly("user");
    }
}
