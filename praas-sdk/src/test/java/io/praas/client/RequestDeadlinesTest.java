package io.praas.client;

import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Client-side timeouts against a process that never answers (a socket that WELCOMEs, then reads
 * and says nothing, or says nothing at all): they fire at their deadline whatever the sweeper was
 * sleeping for, and code chained on one timed-out request holds up no other.
 */
class RequestDeadlinesTest {

    @Test
    void aHandshakeTimesOutAtItsDeadlineEvenWhenTheSweeperSleptLongest() throws Exception {
        try (ServerSocket welcoming = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> serving = CompletableFuture.runAsync(() -> welcomeThenIgnore(welcoming));
            ProcessClient.builder().address("127.0.0.1", welcoming.getLocalPort()).application("app").connect().close();
            serving.join(); // the sweeper runs, and nothing is pending
            io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx(); // made before the clock starts
            try {
                RequestDeadlines.scanNowForTests();
                Thread.sleep(100); // it has scanned and sleeps its longest (1 s)
                long t0 = System.nanoTime();
                Throwable thrown = catchThrowable(() -> ProcessClient.builder().address("127.0.0.1",
                        silent.getLocalPort()).application("app").vertx(vertx).connectTimeout(Duration.ofMillis(300))
                        .connect());
                long tookMs = (System.nanoTime() - t0) / 1_000_000;

                assertThat(thrown).isInstanceOf(PraasException.class);
                assertThat(((PraasException) thrown).code()).isEqualTo(ErrorCode.TIMEOUT);
                // Not at the end of the sweeper's sleep (~900 ms from here): woken by the request, it
                // fails at 300 ms (450 ms of slack for a slow machine).
                assertThat(tookMs).as("connect failed after %d ms", tookMs).isBetween(250L, 750L);
            } finally {
                vertx.close();
            }
        }
    }

    @Test
    void aCallbackThatBlocksOnOneTimedOutRequestHoldsUpNoOtherTimeout() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> serving = CompletableFuture.runAsync(() -> welcomeThenIgnore(server));
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .application("app").timeout(Duration.ofMillis(100)).connect()) {
                CountDownLatch release = new CountDownLatch(1);
                CompletableFuture<byte[]> first = client.invokeAsync("f", new byte[1]);
                CompletableFuture<Void> blocking = first.handle((v, e) -> {
                    try {
                        release.await(20, TimeUnit.SECONDS); // user code that blocks
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                    return null;
                });
                Thread.sleep(300);
                CompletableFuture<byte[]> second = client.invokeAsync("g", new byte[1]);

                try {
                    // Both wait their timeout plus the client's grace (~2.1 s); the second must fail
                    // while the first's callback still blocks.
                    Throwable thrown = catchThrowable(() -> second.get(10, TimeUnit.SECONDS));
                    assertThat(blocking).isNotDone();
                    assertThat(thrown).hasCauseInstanceOf(PraasException.class);
                    assertThat(((PraasException) thrown.getCause()).code()).isEqualTo(ErrorCode.TIMEOUT);
                    assertThat(first).isCompletedExceptionally();
                } finally {
                    release.countDown();
                }
            }
            serving.cancel(true);
        }
    }

    /** WELCOMEs one client, then reads whatever it sends and answers nothing until it hangs up. */
    private static void welcomeThenIgnore(ServerSocket server) {
        try (Socket s = server.accept()) {
            DataInputStream in = RawProcessSide.welcome(s);
            while (true) {
                RawProcessSide.readFrame(in);
            }
        } catch (Exception e) {
            // the client hung up
        }
    }
}
