package io.praas.process.messaging;

import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Peer links against a peer that misbehaves: a real socket on loopback that stops cooperating. */
class PeerLinkTest {
    private static final Message.Hello HELLO = new Message.Hello("app", "", "p-self", "test");
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private ServerSocket server;

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        if (server != null) {
            server.close();
        }
    }

    /** Accepts one connection and hands it to {@code peer}; returns the port. */
    private int peer(java.util.function.Consumer<Socket> peer) throws Exception {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        threads.submit(() -> {
            try (Socket s = server.accept()) {
                peer.accept(s);
            }
            return null;
        });
        return server.getLocalPort();
    }

    private static void welcome(Socket s) {
        try {
            InputStream in = s.getInputStream();
            int length = java.nio.ByteBuffer.wrap(in.readNBytes(4)).getInt();
            in.readNBytes(length); // the HELLO
            OutputStream out = s.getOutputStream();
            out.write(FrameCodec.encode(0, new Message.Welcome("p-peer", FrameCodec.DEFAULT_MAX_FRAME_BYTES, "test")).getBytes());
            out.flush();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aPeerThatNeverAnswersHelloFailsTheConnectInsteadOfHanging() throws Exception {
        int port = peer(s -> sleep(20_000));

        CompletableFuture<PeerLink> link = PeerLink.connect(threads, "p-peer", "127.0.0.1", port, HELLO);

        assertThatThrownBy(() -> link.get(15, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(PeerLink.LinkClosedException.class).hasMessageContaining("p-peer");
    }

    @Test
    void aPeerThatStopsReadingTimesTheRequestOutAndTheLinkCloses() throws Exception {
        int port = peer(s -> {
            welcome(s);
            sleep(20_000); // reads nothing more: the socket buffers fill up
        });
        PeerLink link = PeerLink.connect(threads, "p-peer", "127.0.0.1", port, HELLO).get(10, TimeUnit.SECONDS);
        byte[] big = new byte[FrameCodec.DEFAULT_MAX_FRAME_BYTES - 1024];
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);

        // The write blocks the caller (a function's worker) until the deadline closes the link.
        CompletableFuture<CompletableFuture<Frame>> sending = CompletableFuture.supplyAsync(
                () -> link.request(new Message.PeerMessage("p-self", "k", big), deadline), threads);

        CompletableFuture<Frame> answer = sending.get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> answer.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfAny(TimeoutException.class, PeerLink.LinkClosedException.class);
        assertThat(link.usable()).isFalse();
    }

    @Test
    void aPeerThatAnnouncesAFrameOverWhatItMaySendBeforeItsWelcomeIsRefusedAtOnce() throws Exception {
        int port = peer(s -> {
            try {
                InputStream in = s.getInputStream();
                in.readNBytes(java.nio.ByteBuffer.wrap(in.readNBytes(4)).getInt()); // the HELLO
                s.getOutputStream().write(new byte[] {0x01, 0, 0, 0, 1, 2, 3}); // 16 MiB announced, 3 bytes sent
                s.getOutputStream().flush();
                sleep(20_000);
            } catch (java.io.IOException e) {
                // the link hung up
            }
        });

        CompletableFuture<PeerLink> link = PeerLink.connect(threads, "p-peer", "127.0.0.1", port, HELLO);

        // Refused when the length is read, not when the connect's 5 s read timeout passes.
        assertThatThrownBy(() -> link.get(15, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(PeerLink.LinkClosedException.class).hasMessageContaining("frame of 16777216 bytes");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
