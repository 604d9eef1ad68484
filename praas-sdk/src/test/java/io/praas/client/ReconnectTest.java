package io.praas.client;

import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.GoAwayReason;
import io.praas.protocol.Message;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A client with a reconnector against process sides played over plain sockets: the connection
 * lost, a process that refuses the first HELLOs of the reconnect, a close while a refused request
 * waits to be sent again.
 */
class ReconnectTest {
    private final ExecutorService sides = Executors.newCachedThreadPool();

    @AfterEach
    void stopSides() {
        sides.shutdownNow();
    }

    @Test
    void helloRefusalsDuringAReconnectStartNoSecondReconnect() throws Exception {
        try (ServerSocket first = listen(); ServerSocket second = listen()) {
            CountDownLatch welcomed = new CountDownLatch(1);
            sides.submit(() -> {
                try (Socket s = first.accept()) {
                    RawProcessSide.welcome(s, "p-refusing");
                    welcomed.countDown();
                    Thread.sleep(100);
                } // then the connection closes: the process is gone
                return null;
            });
            // Its next home refuses two HELLOs as not started (it is still starting), then serves.
            AtomicInteger accepted = new AtomicInteger();
            sides.submit(() -> {
                while (!second.isClosed()) {
                    Socket s = second.accept();
                    int n = accepted.incrementAndGet();
                    sides.submit(() -> serve(s, n <= 2));
                }
                return null;
            });
            AtomicInteger located = new AtomicInteger();
            Reconnector reconnector = id -> {
                located.incrementAndGet();
                return new Reconnector.Endpoint("127.0.0.1", second.getLocalPort(), "");
            };
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", first.getLocalPort())
                    .reconnector(reconnector).timeout(Duration.ofSeconds(10)).connect()) {
                assertThat(welcomed.await(5, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(300); // the first connection has closed; the reconnect runs

                assertThat(new String(client.invoke("echo", "back".getBytes(StandardCharsets.UTF_8)),
                        StandardCharsets.UTF_8)).isEqualTo("back");

                Thread.sleep(1_500); // time for any second reconnect to show itself
                assertThat(accepted.get()).as("two refused HELLOs, then one connection that serves").isEqualTo(3);
                assertThat(located.get()).isEqualTo(3);
                assertThat(Thread.getAllStackTraces().keySet()).as("reconnect threads left")
                        .noneMatch(t -> t.getName().equals("praas-reconnect-p-refusing") && t.isAlive());
            }
        }
    }

    @Test
    void aNewConnectionThatClosesRightAfterItsWelcomeIsReplacedNotUsed() throws Exception {
        try (ServerSocket first = listen(); ServerSocket second = listen()) {
            CountDownLatch welcomed = new CountDownLatch(1);
            sides.submit(() -> {
                try (Socket s = first.accept()) {
                    RawProcessSide.welcome(s, "p-flaky");
                    welcomed.countDown();
                    Thread.sleep(100);
                } // gone
                return null;
            });
            // Its next home: the first connection is welcomed and dropped at once; the second serves.
            AtomicInteger accepted = new AtomicInteger();
            sides.submit(() -> {
                while (!second.isClosed()) {
                    Socket s = second.accept();
                    if (accepted.incrementAndGet() == 1) {
                        try (s) {
                            RawProcessSide.welcome(s, "p-flaky");
                        }
                    } else {
                        sides.submit(() -> serve(s, false));
                    }
                }
                return null;
            });
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", first.getLocalPort())
                    .reconnector(id -> new Reconnector.Endpoint("127.0.0.1", second.getLocalPort(), ""))
                    .timeout(Duration.ofSeconds(10)).connect()) {
                assertThat(welcomed.await(5, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(300); // the first connection has closed; the reconnect runs

                assertThat(client.invoke("echo", new byte[] {5})).containsExactly(5);
                assertThat(accepted.get()).isEqualTo(2);
                assertThat(client.isOpen()).isTrue();
            }
        }
    }

    @Test
    void closeWhileARefusedRequestWaitsToBeSentAgainFailsIt() throws Exception {
        try (ServerSocket server = listen()) {
            CountDownLatch refused = new CountDownLatch(1);
            sides.submit(() -> {
                try (Socket s = server.accept()) {
                    DataInputStream in = RawProcessSide.welcome(s);
                    Frame invoke = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    OutputStream out = s.getOutputStream();
                    // Swapping out: GOAWAY, and the request, which came after it, refused as not started.
                    out.write(FrameCodec.encode(0, new Message.GoAway(GoAwayReason.SWAPPING_OUT, "swapping out")).getBytes());
                    out.write(FrameCodec.encode(invoke.requestId(), FrameCodec.FLAG_NOT_STARTED,
                            new Message.Error(ErrorCode.PROCESS_UNAVAILABLE, "swapping out")).getBytes());
                    out.flush();
                    refused.countDown();
                    while (true) {
                        RawProcessSide.readFrame(in);
                    }
                } catch (IOException e) {
                    return null; // the client hung up
                }
            });
            ProcessClient client = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .reconnector(id -> {
                        throw new PraasException(ErrorCode.PROCESS_UNAVAILABLE, "not reached in this test");
                    }).timeout(Duration.ofSeconds(30)).connect();
            CompletableFuture<byte[]> call = client.invokeAsync("echo", "x".getBytes(StandardCharsets.UTF_8));
            assertThat(refused.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(20); // the refusal has arrived; it waits to be sent after the swap

            client.close();

            Throwable failure = catchThrowable(() -> call.get(5, TimeUnit.SECONDS)); // not a hang
            assertThat(failure).isInstanceOf(ExecutionException.class);
            assertThat(failure.getCause()).isInstanceOf(PraasException.class);
        }
    }

    @Test
    void aRequestInFlightWhenTheConnectionClosesMayHaveRunOneRefusedAsNotStartedDidNot() throws Exception {
        try (ServerSocket server = listen()) {
            sides.submit(() -> {
                try (Socket s = server.accept()) {
                    DataInputStream in = RawProcessSide.welcome(s);
                    Frame first = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    s.getOutputStream().write(FrameCodec.encode(first.requestId(), FrameCodec.FLAG_NOT_STARTED,
                            new Message.Error(ErrorCode.PROCESS_UNAVAILABLE, "going away")).getBytes());
                    s.getOutputStream().flush();
                    RawProcessSide.readFrame(in); // the second request: taken, never answered
                }
                return null; // then the connection closes
            });
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .timeout(Duration.ofSeconds(10)).connect()) {
                Throwable refused = catchThrowable(() -> client.invoke("echo", new byte[] {1}));
                Throwable lost = catchThrowable(() -> client.invoke("echo", new byte[] {2}));

                assertThat(refused).isInstanceOfSatisfying(PraasException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                    assertThat(e.mayHaveRun()).as("refused before it started").isFalse();
                });
                assertThat(lost).isInstanceOfSatisfying(PraasException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                    assertThat(e.mayHaveRun()).as("in flight when the connection closed").isTrue();
                });
            }
        }
    }

    @Test
    void aRequestSentAfterWaitingForTheReconnectGivesTheProcessOnlyTheTimeLeft() throws Exception {
        try (ServerSocket first = listen(); ServerSocket second = listen()) {
            CountDownLatch goneAway = new CountDownLatch(1);
            sides.submit(() -> {
                try (Socket s = first.accept()) {
                    RawProcessSide.welcome(s, "p-moving");
                    s.getOutputStream().write(FrameCodec.encode(0, new Message.GoAway(GoAwayReason.STOPPING, "moving"))
                            .getBytes());
                    s.getOutputStream().flush();
                    goneAway.countDown();
                    Thread.sleep(1_500); // then it closes: the client reconnects to its next home
                }
                return null;
            });
            java.util.concurrent.atomic.AtomicLong timeoutSeen = new java.util.concurrent.atomic.AtomicLong(-1);
            sides.submit(() -> {
                try (Socket s = second.accept()) {
                    DataInputStream in = RawProcessSide.welcome(s, "p-moving");
                    Frame f = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    Message.Invoke inv = (Message.Invoke) f.message();
                    timeoutSeen.set(inv.timeoutMs());
                    s.getOutputStream().write(FrameCodec.encode(f.requestId(), new Message.Result(inv.input())).getBytes());
                    s.getOutputStream().flush();
                    RawProcessSide.readFrame(in); // until the client hangs up
                } catch (IOException e) {
                    // the client hung up
                }
                return null;
            });
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", first.getLocalPort())
                    .reconnector(id -> new Reconnector.Endpoint("127.0.0.1", second.getLocalPort(), ""))
                    .timeout(Duration.ofSeconds(5)).connect()) {
                assertThat(goneAway.await(5, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(100); // the GOAWAY has arrived: the request waits for the next home

                assertThat(client.invoke("echo", new byte[] {7})).containsExactly(7);
                assertThat(timeoutSeen.get()).as("of the 5000 ms, what was left after waiting ~1.4 s")
                        .isBetween(1L, 4_000L);
            }
        }
    }

    @Test
    void aHelloAnsweredWithSomethingElseFailsTheConnectAtOnce() throws Exception {
        try (ServerSocket server = listen()) {
            sides.submit(() -> {
                try (Socket s = server.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    Frame hello = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    s.getOutputStream().write(FrameCodec.encode(hello.requestId(), new Message.Ok()).getBytes());
                    s.getOutputStream().flush();
                    in.read(); // until the client hangs up
                }
                return null;
            });
            Throwable failed = catchThrowable(() -> ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .connectTimeout(Duration.ofSeconds(30)).connect());

            assertThat(failed).isInstanceOfSatisfying(PraasException.class, e ->
                    assertThat(e.code()).as("%s", e.getMessage()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        }
    }

    @Test
    void aConnectionErrorBeforeTheWelcomeIsWhatTheConnectReports() throws Exception {
        try (ServerSocket server = listen()) {
            sides.submit(() -> {
                try (Socket s = server.accept()) {
                    RawProcessSide.readFrame(new DataInputStream(s.getInputStream()));
                    s.getOutputStream().write(FrameCodec.encode(0, new Message.Error(ErrorCode.FRAME_TOO_LARGE,
                            "frame of 70000 bytes before WELCOME")).getBytes());
                    s.getOutputStream().flush();
                }
                return null; // then it closes
            });
            Throwable failed = catchThrowable(() -> ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .connect());

            assertThat(failed).isInstanceOfSatisfying(PraasException.class, e ->
                    assertThat(e.code()).as("%s", e.getMessage()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
        }
    }

    @Test
    void aPingFromTheProcessIsAnsweredAndTakenForNoAnswer() throws Exception {
        try (ServerSocket server = listen()) {
            CompletableFuture<Frame> pong = new CompletableFuture<>();
            sides.submit(() -> {
                try (Socket s = server.accept()) {
                    DataInputStream in = RawProcessSide.welcome(s);
                    Frame invoke = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    // A PING that happens to carry the id of the client's request in flight.
                    s.getOutputStream().write(FrameCodec.encode(invoke.requestId(),
                            new Message.Ping("are you there".getBytes(StandardCharsets.UTF_8))).getBytes());
                    s.getOutputStream().flush();
                    pong.complete(FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in))));
                    s.getOutputStream().write(FrameCodec.encode(invoke.requestId(),
                            new Message.Result("the answer".getBytes(StandardCharsets.UTF_8))).getBytes());
                    s.getOutputStream().flush();
                    in.read();
                }
                return null;
            });
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .timeout(Duration.ofSeconds(10)).connect()) {
                byte[] out = client.invoke("echo", new byte[] {1});

                assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("the answer");
                Frame f = pong.get(5, TimeUnit.SECONDS);
                assertThat(f.message()).isInstanceOfSatisfying(Message.Pong.class, p ->
                        assertThat(new String(p.data(), StandardCharsets.UTF_8)).isEqualTo("are you there"));
            }
        }
    }

    @Test
    void aRefusedAsyncRequestIsSentAgainWithTheInputAsItWasWhenItWasMade() throws Exception {
        try (ServerSocket server = listen()) {
            sides.submit(() -> {
                try (Socket s = server.accept()) {
                    DataInputStream in = RawProcessSide.welcome(s);
                    OutputStream out = s.getOutputStream();
                    Frame first = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    out.write(FrameCodec.encode(first.requestId(), FrameCodec.FLAG_NOT_STARTED,
                            new Message.Error(ErrorCode.PROCESS_UNAVAILABLE, "busy going away")).getBytes());
                    out.flush();
                    Frame again = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    out.write(FrameCodec.encode(again.requestId(),
                            new Message.Result(((Message.Invoke) again.message()).input())).getBytes());
                    out.flush();
                    RawProcessSide.readFrame(in);
                } catch (IOException e) {
                    return null; // the client hung up
                }
                return null;
            });
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .reconnector(id -> {
                        throw new PraasException(ErrorCode.PROCESS_UNAVAILABLE, "not reached in this test");
                    }).timeout(Duration.ofSeconds(10)).connect()) {
                byte[] buf = {1, 1, 1};
                CompletableFuture<byte[]> call = client.invokeAsync("echo", buf);
                java.util.Arrays.fill(buf, (byte) 9); // reused at once, as the SDK allows

                assertThat(call.get(10, TimeUnit.SECONDS)).containsExactly(1, 1, 1);
            }
        }
    }

    @Test
    void aTimeoutAnsweredByTheProcessMayHaveRun() throws Exception {
        try (ServerSocket server = listen()) {
            sides.submit(() -> {
                try (Socket s = server.accept()) {
                    DataInputStream in = RawProcessSide.welcome(s);
                    Frame f = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    s.getOutputStream().write(FrameCodec.encode(f.requestId(),
                            new Message.Error(ErrorCode.TIMEOUT, "'slow' did not finish within 100 ms")).getBytes());
                    s.getOutputStream().flush();
                    RawProcessSide.readFrame(in);
                } catch (IOException e) {
                    return null; // the client hung up
                }
                return null;
            });
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .timeout(Duration.ofSeconds(10)).connect()) {
                Throwable timedOut = catchThrowable(() -> client.invoke("slow", new byte[] {1}));

                assertThat(timedOut).isInstanceOfSatisfying(PraasException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
                    assertThat(e.mayHaveRun()).as("it ran until its time was up").isTrue();
                });
            }
        }
    }

    @Test
    void aFrameLongerThanTheClientTakesClosesTheConnection() throws Exception {
        try (ServerSocket server = listen()) {
            sides.submit(() -> {
                // Before the WELCOME: a frame that announces 100 MiB, of which a few bytes follow.
                try (Socket s = server.accept()) {
                    RawProcessSide.readFrame(new DataInputStream(s.getInputStream()));
                    s.getOutputStream().write(new byte[] {0x06, 0x40, 0, 0, 1, 1, 1, 1});
                    s.getOutputStream().flush();
                    s.getInputStream().read(); // until the client hangs up
                } catch (IOException e) {
                    return null;
                }
                // After a WELCOME of 1 MiB: an answer of 2 MiB.
                try (Socket s = server.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    Frame hello = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    OutputStream out = s.getOutputStream();
                    out.write(FrameCodec.encode(hello.requestId(), new Message.Welcome("p-small", 1024 * 1024, "test")).getBytes());
                    out.flush();
                    Frame invoke = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    out.write(FrameCodec.encode(invoke.requestId(), new Message.Result(new byte[2 * 1024 * 1024])).getBytes());
                    out.flush();
                    s.getInputStream().read();
                } catch (IOException e) {
                    return null;
                }
                return null;
            });
            ProcessClient.Builder builder = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .timeout(Duration.ofSeconds(20));
            assertThat(catchThrowable(builder::connect)).as("a 100 MiB frame before the WELCOME")
                    .isInstanceOf(PraasException.class).hasMessageContaining("closed the connection before its WELCOME");
            try (ProcessClient client = builder.connect()) {
                Throwable tooLong = catchThrowable(() -> client.invoke("big", new byte[] {1}));

                assertThat(tooLong).isInstanceOfSatisfying(PraasException.class, e ->
                        assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE));
            }
        }
    }

    @Test
    void aRequestRefusedAfterTheGoAwayIsSentAgainAheadOfNewerOnes() throws Exception {
        try (ServerSocket first = listen(); ServerSocket second = listen()) {
            CountDownLatch goneAway = new CountDownLatch(1);
            CountDownLatch newerMade = new CountDownLatch(1);
            sides.submit(() -> {
                try (Socket s = first.accept()) {
                    DataInputStream in = RawProcessSide.welcome(s, "p-moving");
                    Frame older = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    OutputStream out = s.getOutputStream();
                    out.write(FrameCodec.encode(0, new Message.GoAway(GoAwayReason.STOPPING, "moving")).getBytes());
                    out.flush();
                    goneAway.countDown();
                    newerMade.await(5, TimeUnit.SECONDS);
                    // The older request's refusal comes after the GOAWAY, and after a newer request queued.
                    out.write(FrameCodec.encode(older.requestId(), FrameCodec.FLAG_NOT_STARTED,
                            new Message.Error(ErrorCode.PROCESS_UNAVAILABLE, "moving")).getBytes());
                    out.flush();
                    Thread.sleep(300); // then it closes: the client reconnects to its next home
                }
                return null;
            });
            java.util.List<Byte> order = echoingHome(second);
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", first.getLocalPort())
                    .reconnector(id -> new Reconnector.Endpoint("127.0.0.1", second.getLocalPort(), ""))
                    .timeout(Duration.ofSeconds(10)).connect()) {
                CompletableFuture<byte[]> older = client.invokeAsync("echo", new byte[] {1});
                assertThat(goneAway.await(5, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(100); // the GOAWAY has arrived: a new request waits for the next home
                CompletableFuture<byte[]> newer = client.invokeAsync("echo", new byte[] {2});
                newerMade.countDown();

                assertThat(older.get(10, TimeUnit.SECONDS)).containsExactly(1);
                assertThat(newer.get(10, TimeUnit.SECONDS)).containsExactly(2);
                assertThat(order).containsExactly((byte) 1, (byte) 2);
            }
        }
    }

    @Test
    void aBlockingCallInterruptedWhileItsRequestWaitsToBeSentIsTakenBackNotRun() throws Exception {
        try (ServerSocket first = listen(); ServerSocket second = listen()) {
            CountDownLatch goneAway = new CountDownLatch(1);
            CountDownLatch interrupted = new CountDownLatch(1);
            sides.submit(() -> {
                try (Socket s = first.accept()) {
                    RawProcessSide.welcome(s, "p-moving");
                    s.getOutputStream().write(FrameCodec.encode(0, new Message.GoAway(GoAwayReason.STOPPING, "moving"))
                            .getBytes());
                    s.getOutputStream().flush();
                    goneAway.countDown();
                    interrupted.await(5, TimeUnit.SECONDS); // then it closes: the client reconnects
                }
                return null;
            });
            java.util.List<Byte> received = echoingHome(second);
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", first.getLocalPort())
                    .reconnector(id -> new Reconnector.Endpoint("127.0.0.1", second.getLocalPort(), ""))
                    .timeout(Duration.ofSeconds(10)).connect()) {
                assertThat(goneAway.await(5, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(100); // the GOAWAY has arrived: a request waits for the next home
                java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
                Thread caller = new Thread(() -> failure.set(catchThrowable(() -> client.invoke("charge", new byte[] {1}))));
                caller.start();
                Thread.sleep(200); // it waits
                caller.interrupt();
                caller.join(5_000);
                interrupted.countDown();

                assertThat(failure.get()).isInstanceOfSatisfying(PraasException.class, e -> {
                    assertThat(e.mayHaveRun()).as("taken back before it was sent").isFalse();
                    assertThat(e.getMessage()).contains("not sent");
                });
                assertThat(client.invoke("charge", new byte[] {2})).containsExactly(2);
                assertThat(received).as("what the next home ran").containsExactly((byte) 2);
            }
        }
    }

    /** A process's next home: echoes every INVOKE; returns the first input byte of each, in the order they came. */
    private java.util.List<Byte> echoingHome(ServerSocket home) {
        java.util.List<Byte> inputs = new java.util.concurrent.CopyOnWriteArrayList<>();
        sides.submit(() -> {
            try (Socket s = home.accept()) {
                DataInputStream in = RawProcessSide.welcome(s, "p-moving");
                while (true) {
                    Frame f = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                    Message.Invoke inv = (Message.Invoke) f.message();
                    inputs.add(inv.input()[0]);
                    s.getOutputStream().write(FrameCodec.encode(f.requestId(), new Message.Result(inv.input())).getBytes());
                    s.getOutputStream().flush();
                }
            } catch (IOException e) {
                return null; // the client hung up
            }
        });
        return inputs;
    }

    private static ServerSocket listen() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** Refuses the HELLO as not started and hangs up, or welcomes and echoes every INVOKE. */
    private static Void serve(Socket s, boolean refuse) throws IOException {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            if (refuse) {
                Frame hello = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                out.write(FrameCodec.encode(hello.requestId(), FrameCodec.FLAG_NOT_STARTED,
                        new Message.Error(ErrorCode.PROCESS_UNAVAILABLE, "not started yet")).getBytes());
                out.flush();
                return null;
            }
            in = RawProcessSide.welcome(s, "p-refusing");
            while (true) {
                Frame f = FrameCodec.decode(Buffer.buffer(RawProcessSide.readFrame(in)));
                if (f.message() instanceof Message.Invoke inv) {
                    out.write(FrameCodec.encode(f.requestId(), new Message.Result(inv.input())).getBytes());
                    out.flush();
                }
            }
        } catch (IOException e) {
            return null; // the client hung up
        }
    }
}
