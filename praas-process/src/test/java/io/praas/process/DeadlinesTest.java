package io.praas.process;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class DeadlinesTest {
    /** Records when it expired (System.nanoTime), once. */
    private static final class Probe implements Deadlines.Expiring {
        final long deadline;
        final AtomicLong firedAt = new AtomicLong();
        final CountDownLatch fired = new CountDownLatch(1);
        final Runnable onExpire;

        Probe(long inMillis) {
            this(inMillis, () -> { });
        }

        Probe(long inMillis, Runnable onExpire) {
            this.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(inMillis);
            this.onExpire = onExpire;
        }

        @Override
        public long deadlineNanos() {
            return deadline;
        }

        @Override
        public void expire() {
            firedAt.set(System.nanoTime());
            fired.countDown();
            onExpire.run();
        }
    }

    @Test
    void anEarlierDeadlineWakesASweeperSleepingTowardsALaterOne() throws Exception {
        // A deadline that fires right away: the sweeper has just scanned and now sleeps for its
        // longest sleep, as nothing else is due (the late one does not wake it).
        Probe first = new Probe(1);
        Deadlines.watch(first);
        assertThat(first.fired.await(5, TimeUnit.SECONDS)).isTrue();
        Probe late = new Probe(60_000);
        Deadlines.watch(late);
        Thread.sleep(20);
        Probe early = new Probe(20);
        Deadlines.watch(early);
        try {
            assertThat(early.fired.await(5, TimeUnit.SECONDS)).as("the early deadline fired").isTrue();
            assertThat(early.firedAt.get() - early.deadline).as("not before its deadline").isGreaterThanOrEqualTo(0);
            // Not held to the sweeper's sleep (up to a second here) towards the later deadline.
            assertThat(early.firedAt.get() - early.deadline).as("fired without waiting out the sweeper's sleep")
                    .isLessThan(Deadlines.MAX_SLEEP_NANOS / 2);
            assertThat(late.fired.getCount()).as("the late one is still waiting").isEqualTo(1);
        } finally {
            Deadlines.forget(late);
        }
    }

    @Test
    void everyDeadlineWatchedFromManyThreadsFiresAndNoneEarly() throws Exception {
        ConcurrentLinkedQueue<Probe> all = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 250; i++) {
                    Probe p = new Probe(ThreadLocalRandom.current().nextLong(0, 300));
                    all.add(p);
                    Deadlines.watch(p);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertThat(all).hasSize(1000);
        for (Probe p : all) {
            assertThat(p.fired.await(5, TimeUnit.SECONDS)).as("every deadline fires").isTrue();
            assertThat(p.firedAt.get() - p.deadline).as("none before its deadline").isGreaterThanOrEqualTo(0);
            // A lost wake-up would leave it to the sweeper's longest sleep.
            assertThat(p.firedAt.get() - p.deadline).as("none waits out the sweeper's sleep")
                    .isLessThan(Deadlines.MAX_SLEEP_NANOS / 2);
        }
    }

    @Test
    void aCallbackThatBlocksHoldsUpNoOtherTimeout() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Probe blocking = new Probe(10, () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Deadlines.watch(blocking);
        try {
            assertThat(blocking.fired.await(5, TimeUnit.SECONDS)).isTrue();
            Probe next = new Probe(10);
            Deadlines.watch(next);
            assertThat(next.fired.await(5, TimeUnit.SECONDS)).as("fires while another callback blocks").isTrue();
        } finally {
            release.countDown();
        }
    }

    @Test
    void aForgottenDeadlineDoesNotFireAndAFailingCallbackDoesNotStopTheOthers() throws Exception {
        Probe forgotten = new Probe(30);
        Probe failing = new Probe(30, () -> {
            throw new IllegalStateException("a callback that fails");
        });
        Probe after = new Probe(30);
        Deadlines.watch(forgotten);
        Deadlines.watch(failing);
        Deadlines.watch(after);
        Deadlines.forget(forgotten);
        assertThat(failing.fired.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(after.fired.await(5, TimeUnit.SECONDS)).as("fires after another callback failed").isTrue();
        assertThat(forgotten.fired.await(200, TimeUnit.MILLISECONDS)).as("the forgotten one stays quiet").isFalse();
    }
}
