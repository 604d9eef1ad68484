package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.process.state.StateBudget;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Messaging}'s receive against its world, without peers on the network. */
class MessagingTest {
    private final Mailbox mailbox = new Mailbox(new StateBudget(1024 * 1024));
    private final World world = new World();
    private final Messaging messaging = new Messaging("shop", "p-1", mailbox, world, () -> "",
            id -> CompletableFuture.failedFuture(new IllegalStateException("no control plane here")));

    @AfterEach
    void close() {
        messaging.close();
    }

    @Test
    void aMessageFromASenderThatStoppedSinceIsStillReceived() throws Exception {
        world.update(new Message.World(1, List.of(new Message.WorldEntry("p-1", "ACTIVE", "127.0.0.1", 1),
                new Message.WorldEntry("p-2", "ACTIVE", "127.0.0.1", 2))));
        mailbox.deliver("p-2", "result", "42".getBytes(StandardCharsets.UTF_8));
        world.update(new Message.World(2, List.of(new Message.WorldEntry("p-1", "ACTIVE", "127.0.0.1", 1),
                new Message.WorldEntry("p-2", "STOPPED", "", 0))));

        assertThat(messaging.receive("p-2", "result", null, deadline()).get(5, TimeUnit.SECONDS).data())
                .isEqualTo("42".getBytes(StandardCharsets.UTF_8));
        // Nothing more will come from it.
        assertThatThrownBy(() -> messaging.receive("p-2", "result", null, deadline()).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(PraasException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE));
    }

    @Test
    void aMessageFromASenderThatLeftTheApplicationIsStillReceived() throws Exception {
        world.update(new Message.World(1, List.of(new Message.WorldEntry("p-1", "ACTIVE", "127.0.0.1", 1))));
        mailbox.deliver("p-3", "result", "7".getBytes(StandardCharsets.UTF_8)); // p-3 deleted since

        assertThat(messaging.receive("p-3", "result", null, deadline()).get(5, TimeUnit.SECONDS).from())
                .isEqualTo("p-3");
        assertThatThrownBy(() -> messaging.receive("p-3", "result", null, deadline()).get(5, TimeUnit.SECONDS))
                .cause().hasMessageContaining("no process 'p-3'");
    }

    @Test
    void messagesSentTogetherWhileTheLinkConnectsAreWrittenInOrder() throws Exception {
        int count = 50;
        try (FakePeer peer = new FakePeer(300, count, f -> { })) { // every send is made while the link connects
            world.update(worldWith(peer, "ACTIVE", 1));

            List<CompletableFuture<Void>> sends = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                sends.add(messaging.send("p-2", "k", Integer.toString(i).getBytes(StandardCharsets.UTF_8), deadline()));
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

            assertThat(peer.arrived()).containsExactlyElementsOf(java.util.stream.IntStream.range(0, count)
                    .mapToObj(Integer::toString).toList());
        }
    }

    @Test
    void aReceiverThatStartsSwappingOutWhileAMessageIsUnansweredAcknowledgesItOnTheSameLink() throws Exception {
        // The world says SWAPPING_OUT before the receiver's OK comes (it drains: what it took, it answers).
        try (FakePeer peer = new FakePeer(0, 1, f -> world.update(worldWith(null, "SWAPPING_OUT", 2)))) {
            world.update(worldWith(peer, "ACTIVE", 1));

            messaging.send("p-2", "k", "once".getBytes(StandardCharsets.UTF_8), deadline()).get(5, TimeUnit.SECONDS);

            assertThat(peer.arrived()).containsExactly("once"); // not sent again after the swap
        }
    }

    private static Message.World worldWith(FakePeer peer, String status, long version) {
        return new Message.World(version, List.of(new Message.WorldEntry("p-1", "ACTIVE", "127.0.0.1", 1),
                new Message.WorldEntry("p-2", status, peer == null ? "" : "127.0.0.1", peer == null ? 0 : peer.port())));
    }

    /**
     * Process p-2 on a loopback socket: welcomes one link after {@code welcomeDelayMs}, then takes
     * {@code messages} MESSAGE frames, calls {@code beforeAnswer} with each and answers OK.
     */
    private static final class FakePeer implements AutoCloseable {
        private final java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        private final List<String> arrived = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        private final Thread thread;

        FakePeer(long welcomeDelayMs, int messages, java.util.function.Consumer<io.praas.protocol.Frame> beforeAnswer)
                throws java.io.IOException {
            thread = new Thread(() -> {
                try (java.net.Socket s = server.accept()) {
                    java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
                    java.io.OutputStream out = s.getOutputStream();
                    readFrame(in); // HELLO
                    Thread.sleep(welcomeDelayMs);
                    out.write(io.praas.protocol.FrameCodec.encode(0, new Message.Welcome("p-2",
                            io.praas.protocol.FrameCodec.DEFAULT_MAX_FRAME_BYTES, "test")).getBytes());
                    out.flush();
                    for (int i = 0; i < messages; i++) {
                        io.praas.protocol.Frame f = readFrame(in);
                        arrived.add(new String(((Message.PeerMessage) f.message()).data(), StandardCharsets.UTF_8));
                        beforeAnswer.accept(f);
                        out.write(io.praas.protocol.FrameCodec.encode(f.requestId(), new Message.Ok()).getBytes());
                        out.flush();
                    }
                    Thread.sleep(1000); // more, sent again, would show up here
                    s.setSoTimeout(1);
                    arrived.add("unexpected: " + readFrame(in).message());
                } catch (java.net.SocketTimeoutException | java.io.EOFException | java.net.SocketException done) {
                    // nothing more came
                } catch (Exception e) {
                    arrived.add("peer failed: " + e);
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        /** What arrived, once the peer is done. */
        List<String> arrived() throws InterruptedException {
            thread.join(10_000);
            return List.copyOf(arrived);
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }

    @Test
    void aSendToADeletedOrUnknownProcessIsInvalidAndToAStoppedOneUnavailable() {
        // The control plane leaves deleted processes out of the world.
        world.update(new Message.World(1, List.of(new Message.WorldEntry("p-1", "ACTIVE", "127.0.0.1", 1),
                new Message.WorldEntry("p-2", "STOPPED", "", 0))));

        assertThatThrownBy(() -> messaging.send("p-9", "k", new byte[1], deadline()).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(PraasException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("no process 'p-9'");
                });
        assertThatThrownBy(() -> messaging.send("p-2", "k", new byte[1], deadline()).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(PraasException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("STOPPED");
                });
    }

    @Test
    void aNullMessageFailsAsInvalidAtOnce() {
        assertThatThrownBy(() -> messaging.send("p-2", "k", null, deadline()).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(PraasException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    private static io.praas.protocol.Frame readFrame(java.io.DataInputStream in) throws java.io.IOException {
        int length = in.readInt();
        byte[] frame = new byte[4 + length];
        java.nio.ByteBuffer.wrap(frame).putInt(length);
        in.readFully(frame, 4, length);
        return io.praas.protocol.FrameCodec.decode(io.vertx.core.buffer.Buffer.buffer(frame));
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    }
}
