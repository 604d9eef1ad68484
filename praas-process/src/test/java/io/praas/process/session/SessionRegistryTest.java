package io.praas.process.session;

import io.praas.codec.KryoCodec;
import io.praas.process.state.StateBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class SessionRegistryTest {
    private final StateBudget budget = new StateBudget(1024 * 1024);
    private final SessionRegistry registry = new SessionRegistry(budget, new KryoCodec(getClass().getClassLoader()), 3);
    private final ExecutorService executor = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopExecutor() {
        executor.shutdownNow();
    }

    @Test
    void openWithAnEmptyIdCreatesASessionWithARandomId() {
        SessionRegistry.Opened first = registry.open("");
        SessionRegistry.Opened second = registry.open("");

        assertThat(first.resumed()).isFalse();
        assertThat(UUID.fromString(first.session().id())).isNotNull();
        assertThat(second.session().id()).isNotEqualTo(first.session().id());
        assertThat(registry.size()).isEqualTo(2);
    }

    @Test
    void openWithAChosenIdCreatesThatSession() {
        SessionRegistry.Opened opened = registry.open("cart-42");

        assertThat(opened.resumed()).isFalse();
        assertThat(opened.session().id()).isEqualTo("cart-42");
        assertThat(registry.get("cart-42")).isSameAs(opened.session());
    }

    @Test
    void openingAnExistingIdResumesItWithItsState() {
        Session created = registry.open("cart-42").session();
        created.state().put("items", 3);

        SessionRegistry.Opened again = registry.open("cart-42");

        assertThat(again.resumed()).isTrue();
        assertThat(again.session()).isSameAs(created);
        assertThat(again.session().state().get("items", Integer.class)).contains(3);
        assertThat(registry.size()).isEqualTo(1);
    }

    @Test
    void anIdOf128CharactersIsAccepted() {
        String id = "s".repeat(SessionRegistry.MAX_ID_LENGTH);

        assertThat(registry.open(id).session().id()).isEqualTo(id);
    }

    @Test
    void anIdLongerThan128CharactersIsRejected() {
        String id = "s".repeat(SessionRegistry.MAX_ID_LENGTH + 1);

        assertThatThrownBy(() -> registry.open(id)).isInstanceOf(IllegalArgumentException.class);
        assertThat(registry.size()).isZero();
    }

    @Test
    void anIdWithAControlCharacterIsRejected() {
        assertThatThrownBy(() -> registry.open("cart\n42")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> registry.open("cart\u000042")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> registry.open("cart\u007f")).isInstanceOf(IllegalArgumentException.class);
        assertThat(registry.size()).isZero();
    }

    @Test
    void openingBeyondMaxSessionsThrowsTooManySessions() {
        registry.open("a");
        registry.open("b");
        registry.open("");

        assertThatThrownBy(() -> registry.open("d")).isInstanceOf(TooManySessionsException.class);
        assertThatThrownBy(() -> registry.open("")).isInstanceOf(TooManySessionsException.class);
        assertThat(registry.size()).isEqualTo(3);
    }

    @Test
    void resumingASessionSucceedsAtMaxSessions() {
        registry.open("a");
        registry.open("b");
        registry.open("c");

        assertThat(registry.open("b").resumed()).isTrue();
    }

    @Test
    void concurrentOpensNeverExceedMaxSessions() throws Exception {
        int maxSessions = 4;
        int openers = 16;
        ExecutorService pool = Executors.newFixedThreadPool(openers);
        try {
            // The race is between the size check and the insertion, so repeat to give it chances.
            for (int round = 0; round < 1_000; round++) {
                SessionRegistry sessions = new SessionRegistry(budget, new KryoCodec(getClass().getClassLoader()), maxSessions);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> opened = new ArrayList<>();
                for (int i = 0; i < openers; i++) {
                    String id = "s-" + i;
                    opened.add(pool.submit(() -> {
                        start.await();
                        catchThrowable(() -> sessions.open(id));
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : opened) {
                    f.get(10, TimeUnit.SECONDS);
                }

                assertThat(sessions.size()).as("sessions after round %d", round).isLessThanOrEqualTo(maxSessions);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closingASessionMakesRoomForANewOne() {
        registry.open("a");
        registry.open("b");
        registry.open("c");

        registry.close("a");

        assertThat(registry.open("d").resumed()).isFalse();
    }

    @Test
    void closeDropsTheSessionAndItsState() {
        Session session = registry.open("cart-42").session();
        session.state().put("items", 3);

        assertThat(registry.close("cart-42")).isTrue();

        assertThat(registry.get("cart-42")).isNull();
        assertThat(session.closed()).isTrue();
        assertThat(session.state().keys()).isEmpty();
        assertThat(registry.open("cart-42").resumed()).isFalse();
    }

    @Test
    void closeGivesTheStatesBytesBackToTheBudget() {
        Session session = registry.open("cart-42").session();
        session.state().putBytes("blob", new byte[500]);
        assertThat(budget.usedBytes()).isGreaterThan(500);

        registry.close("cart-42");

        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void stateWrittenAfterItsSessionClosedHoldsNoBudget() {
        // An invocation that runs while its session is closed (or expires) still holds the state store.
        Session session = registry.open("cart-42").session();
        registry.close("cart-42");

        catchThrowable(() -> session.state().putBytes("late", new byte[500]));

        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void closeOfAnUnknownSessionReturnsFalse() {
        assertThat(registry.close("never-opened")).isFalse();
    }

    @Test
    void expireIdleClosesSessionsIdleForLongerThanTheTimeout() {
        Session idle = registry.open("idle").session();
        idle.state().putBytes("blob", new byte[100]);
        Duration timeout = Duration.ofMillis(1);
        awaitElapsed(System.nanoTime(), timeout);

        int expired = registry.expireIdle(timeout);

        assertThat(expired).isEqualTo(1);
        assertThat(registry.get("idle")).isNull();
        assertThat(idle.closed()).isTrue();
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void expireIdleClosesNothingWhileTheStateIsSealed() throws Exception {
        Session idle = registry.open("idle").session();
        idle.state().putBytes("blob", new byte[100]);
        Duration timeout = Duration.ofMillis(1);
        awaitElapsed(System.nanoTime(), timeout);
        assertThat(budget.seal("swapping out", Duration.ofSeconds(1))).isTrue();

        assertThat(registry.expireIdle(timeout)).isZero();
        assertThat(registry.get("idle")).isSameAs(idle);
        assertThat(idle.state().getBytes("blob")).hasSize(100);

        budget.unseal();
        assertThat(registry.expireIdle(timeout)).isEqualTo(1);
    }

    @Test
    void closeUnlessSealedLeavesASessionAloneWhileTheStateIsSealed() throws Exception {
        Session cart = registry.open("cart").session();
        cart.state().putBytes("items", new byte[10]);
        assertThat(budget.seal("swapping out", Duration.ofSeconds(1))).isTrue();

        assertThat(registry.closeUnlessSealed("cart")).isEqualTo(SessionRegistry.Closing.SEALED);
        assertThat(registry.get("cart")).isSameAs(cart);
        assertThat(cart.state().getBytes("items")).hasSize(10);

        budget.unseal();
        assertThat(registry.closeUnlessSealed("cart")).isEqualTo(SessionRegistry.Closing.CLOSED);
        assertThat(registry.get("cart")).isNull();
    }

    @Test
    void expireIdleKeepsSessionsActiveWithinTheTimeout() {
        registry.open("fresh");

        assertThat(registry.expireIdle(Duration.ofHours(1))).isZero();
        assertThat(registry.get("fresh")).isNotNull();
    }

    @Test
    void expireIdleKeepsASessionWhoseInvocationIsRunning() throws Exception {
        Session busy = registry.open("busy").session();
        registry.open("idle");
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        busy.enqueue(() -> {
            running.countDown();
            awaitQuietly(release);
        }, executor);
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        Duration timeout = Duration.ofMillis(1);
        awaitElapsed(System.nanoTime(), timeout);

        try {
            assertThat(registry.expireIdle(timeout)).isEqualTo(1);
            assertThat(registry.get("busy")).isSameAs(busy);
            assertThat(busy.closed()).isFalse();
            assertThat(registry.get("idle")).isNull();
        } finally {
            release.countDown();
        }
    }

    @Test
    void aSessionClosedWhileAnInvocationWritesNewKeysGivesAllItsBytesBack() throws Exception {
        // A write of a new key racing the closing used to land in the closed store after its
        // clearing: its bytes were never given back (and its record could follow the closing).
        SessionRegistry many = new SessionRegistry(budget, new KryoCodec(getClass().getClassLoader()), 10);
        for (int round = 0; round < 300; round++) {
            Session s = many.open("s").session();
            CountDownLatch writing = new CountDownLatch(1);
            Future<?> writer = executor.submit(() -> {
                for (int i = 0; ; i++) {
                    try {
                        s.state().putBytes("k" + i, new byte[10]);
                    } catch (IllegalStateException | io.praas.function.StateLimitExceededException closedOrFull) {
                        return;
                    }
                    writing.countDown();
                }
            });
            assertThat(writing.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(many.close("s")).isTrue();
            writer.get(5, TimeUnit.SECONDS);
            assertThat(budget.usedBytes()).as("round %d", round).isZero();
        }
    }

    @Test
    void aClosingThatMustNotWaitSaysBusyWhileAComputeRunsAndTheWaitingOneClosesAfterIt() throws Exception {
        Session s = registry.open("computing").session();
        CountDownLatch updating = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<?> compute = executor.submit(() -> s.state().compute("n", Integer.class, n -> {
            updating.countDown();
            awaitQuietly(release); // a long update
            return 1;
        }));
        assertThat(updating.await(5, TimeUnit.SECONDS)).isTrue();

        // An event loop's closing: answered at once, nothing changed.
        assertThat(registry.tryCloseUnlessSealed("computing")).isEqualTo(SessionRegistry.Closing.BUSY);
        assertThat(registry.get("computing")).isSameAs(s);
        assertThat(s.closed()).isFalse();

        Future<SessionRegistry.Closing> waiting = executor.submit(() -> registry.closeUnlessSealed("computing"));
        release.countDown();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(SessionRegistry.Closing.CLOSED);
        compute.get(5, TimeUnit.SECONDS);
        assertThat(registry.get("computing")).isNull();
        assertThat(budget.usedBytes()).isZero();
        assertThat(registry.tryCloseUnlessSealed("computing")).isEqualTo(SessionRegistry.Closing.NOT_FOUND);
    }

    @Test
    void aJournalThatRefusesTheClosingLeavesTheSessionOpenWithItsState() {
        registry.open("kept").session().state().put("n", 1);
        registry.journal(new RefusingJournal("sessionClosed"));

        assertThatThrownBy(() -> registry.close("kept")).hasMessageContaining("disk full");

        Session kept = registry.get("kept");
        assertThat(kept.closed()).isFalse();
        assertThat(kept.state().get("n", Integer.class)).contains(1);
        assertThat(budget.usedBytes()).isEqualTo(kept.state().sizeBytes()).isPositive();
    }

    @Test
    void aJournalThatRefusesAnOpeningLeavesNoSessionAndFreesItsSlot() {
        registry.open("a");
        registry.open("b");
        registry.journal(new RefusingJournal("sessionOpened"));

        assertThatThrownBy(() -> registry.open("c")).hasMessageContaining("disk full");
        registry.journal(io.praas.process.state.StateJournal.NONE);

        assertThat(registry.get("c")).isNull();
        assertThat(registry.open("c").resumed()).isFalse(); // the third of three slots is free
    }

    @Test
    void anExpiryNeverClosesASessionWhoseInvocationStarted() throws Exception {
        // The expiry looked at "busy" and then closed without looking again: an invocation that
        // started in between ran on a closed session (its writes refused, its reads empty).
        Session s = registry.open("raced").session();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Future<?> sweeper = executor.submit(() -> {
            while (!stop.get()) {
                registry.expireIdle(Duration.ofNanos(1));
            }
        });
        java.util.concurrent.atomic.AtomicInteger closedUnder = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor direct = Runnable::run;
        try {
            for (int i = 0; i < 10_000; i++) {
                Session current = registry.get("raced");
                Session target = current != null ? current : registry.open("raced").session();
                target.enqueue(() -> {
                    if (!target.closed()) { // as the Invoker checks before it runs a function
                        awaitElapsed(System.nanoTime(), Duration.ofNanos(20_000)); // the function runs
                        if (target.closed()) {
                            closedUnder.incrementAndGet();
                        }
                    }
                }, direct);
            }
        } finally {
            stop.set(true);
            sweeper.get(5, TimeUnit.SECONDS);
        }
        assertThat(closedUnder.get()).isZero();
    }

    /** A journal whose {@code failing} record cannot be appended (a full disk). */
    private static final class RefusingJournal implements io.praas.process.state.StateJournal {
        private final String failing;

        RefusingJournal(String failing) {
            this.failing = failing;
        }

        private void refuse(String what) {
            if (what.equals(failing)) {
                throw new IllegalStateException("journal append failed: disk full");
            }
        }

        @Override
        public void put(String session, String key, byte[] value) {
            refuse("put");
        }

        @Override
        public void delete(String session, String key) {
            refuse("delete");
        }

        @Override
        public void sessionOpened(String session) {
            refuse("sessionOpened");
        }

        @Override
        public void sessionClosed(String session) {
            refuse("sessionClosed");
        }
    }

    /** Spins until {@code duration} has passed since {@code startNanos}: an elapsed-time precondition, not an assertion. */
    private static void awaitElapsed(long startNanos, Duration duration) {
        while (System.nanoTime() - startNanos <= duration.toNanos() + 1) {
            Thread.onSpinWait();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
