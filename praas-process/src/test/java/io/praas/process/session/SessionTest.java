package io.praas.process.session;

import io.praas.codec.KryoCodec;
import io.praas.process.state.KeyValueStore;
import io.praas.process.state.StateBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class SessionTest {
    private static final int TASKS = 200;

    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private final Session session = new Session("s-1",
            new KeyValueStore(new StateBudget(1024), new KryoCodec(getClass().getClassLoader())));

    @AfterEach
    void stopExecutor() {
        executor.shutdownNow();
    }

    @Test
    void tasksOfOneSessionRunOneAtATimeInTheOrderEnqueued() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(TASKS);

        for (int i = 0; i < TASKS; i++) {
            int n = i;
            session.enqueue(() -> {
                maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                order.add(n);
                Thread.yield(); // give another worker a chance to overlap, were it allowed to
                running.decrementAndGet();
                done.countDown();
            }, executor);
        }

        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(maxRunning.get()).isEqualTo(1);
        assertThat(order).containsExactlyElementsOf(IntStream.range(0, TASKS).boxed().toList());
    }

    @Test
    void aThrowingTaskDoesNotStopTheQueue() throws Exception {
        CountDownLatch next = new CountDownLatch(1);
        Thread.UncaughtExceptionHandler quiet = (t, e) -> { };
        ExecutorService quietExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r);
            t.setUncaughtExceptionHandler(quiet);
            return t;
        });
        try {
            session.enqueue(() -> {
                throw new IllegalStateException("task failed");
            }, quietExecutor);
            session.enqueue(next::countDown, quietExecutor);

            assertThat(next.await(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            quietExecutor.shutdownNow();
        }
    }

    @Test
    void tasksOfTwoSessionsMayRunAtTheSameTime() throws Exception {
        Session other = new Session("s-2",
                new KeyValueStore(new StateBudget(1024), new KryoCodec(getClass().getClassLoader())));
        CountDownLatch bothRunning = new CountDownLatch(2);
        CountDownLatch finished = new CountDownLatch(2);
        Runnable meetTheOther = () -> {
            bothRunning.countDown();
            try {
                if (bothRunning.await(5, TimeUnit.SECONDS)) {
                    finished.countDown();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };

        session.enqueue(meetTheOther, executor);
        other.enqueue(meetTheOther, executor);

        assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
    }
}
