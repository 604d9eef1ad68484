package io.praas.process.invocation;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Callbacks a function chains on a messaging future never run on (or block) the thread that completed it. */
class FunctionFutureTest {

    @Test
    void callbacksRunOffTheCompletingThreadAndABlockingOneDoesNotHoldIt() throws Exception {
        CompletableFuture<String> source = new CompletableFuture<>();
        CompletableFuture<String> handed = FunctionFuture.of(source);
        List<Thread> ranOn = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Integer> chain = handed
                .thenApply(v -> {
                    ranOn.add(Thread.currentThread());
                    return v.length();
                })
                .whenComplete((v, e) -> ranOn.add(Thread.currentThread()));
        CompletableFuture<Void> blocking = handed.thenAccept(v -> {
            ranOn.add(Thread.currentThread());
            try {
                release.await(10, TimeUnit.SECONDS); // as a send(...).join() inside a callback would
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        Thread io = new Thread(() -> source.complete("hello"), "event-loop");
        io.start();
        io.join(5_000);

        assertThat(io.isAlive()).as("the completing thread is not held by the blocking callback").isFalse();
        assertThat(handed.get(5, TimeUnit.SECONDS)).isEqualTo("hello");
        assertThat(chain.get(5, TimeUnit.SECONDS)).isEqualTo(5);
        release.countDown();
        blocking.get(5, TimeUnit.SECONDS);
        assertThat(ranOn).hasSize(3).doesNotContain(io);
    }

    @Test
    void aReceiveItsCallerEndsFirstTakesNoMessage() throws Exception {
        io.praas.process.state.StateBudget budget = new io.praas.process.state.StateBudget(1 << 20);
        io.praas.process.messaging.Mailbox box = new io.praas.process.messaging.Mailbox(budget);
        CompletableFuture<io.praas.function.ReceivedMessage> handed = FunctionFuture.of(
                box.receive(io.praas.process.messaging.Mailbox.ANY, "k", null, TimeUnit.SECONDS.toNanos(30)));
        // The caller's own, shorter timeout ends it
        assertThat(catchThrowable(() -> handed.orTimeout(50, TimeUnit.MILLISECONDS).join()))
                .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);

        box.deliver("p-1", "k", "kept".getBytes(java.nio.charset.StandardCharsets.UTF_8));

        assertThat(box.size()).as("the message stays for the next receive").isEqualTo(1);
        io.praas.function.ReceivedMessage next = box.receive(io.praas.process.messaging.Mailbox.ANY, "k", null,
                TimeUnit.SECONDS.toNanos(5)).get(5, TimeUnit.SECONDS);
        assertThat(new String(next.data(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("kept");
    }

    @Test
    void aFailureReachesWaitersAndCallbacks() {
        CompletableFuture<String> source = new CompletableFuture<>();
        CompletableFuture<String> handed = FunctionFuture.of(source);
        CompletableFuture<String> recovered = handed.exceptionally(e -> "recovered from " + e.getClass().getSimpleName());

        source.completeExceptionally(new IllegalStateException("gone"));

        assertThat(recovered.join()).isEqualTo("recovered from IllegalStateException");
        assertThat(handed).isCompletedExceptionally();
    }
}
