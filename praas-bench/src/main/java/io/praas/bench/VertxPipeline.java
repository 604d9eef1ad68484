package io.praas.bench;

import io.praas.protocol.FrameCodec;
import io.praas.protocol.FrameParser;
import io.praas.protocol.Message;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline's client: one Vert.x connection (one event loop, TCP_NODELAY, like the PraaS
 * client) to {@link VertxEchoServer} that keeps {@code inFlight} INVOKE frames outstanding, each
 * encoded like the PraaS client encodes it, and sends the next one when an answer arrives.
 */
final class VertxPipeline extends Pipeline {
    // Fields, not locals: from Vert.x 5.1 an unreferenced client may be closed by the GC.
    private final Vertx vertx;
    private final NetClient netClient;
    private final NetSocket socket;
    private final Message.Invoke invoke;
    private final int window;
    private final AtomicLong nextRequestId = new AtomicLong();

    VertxPipeline(String host, int port, int window, Message.Invoke invoke) {
        this.window = window;
        this.invoke = invoke;
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setPreferNativeTransport(true));
        this.netClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
        try {
            this.socket = netClient.connect(port, host).toCompletionStage().toCompletableFuture()
                    .get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot connect to the Vert.x echo server at " + host + ":" + port, e);
        }
        socket.handler(new FrameParser(Integer.MAX_VALUE - FrameCodec.LENGTH_FIELD, this::onAnswer, e -> {
            failed(e);
            socket.close();
        }));
        socket.closeHandler(v -> inFlight.set(0));
    }

    /** The INVOKE frame this client sends, to report its size. */
    Buffer requestFrame() {
        return FrameCodec.encode(1, invoke);
    }

    @Override
    void start() {
        for (int i = 0; i < window; i++) {
            inFlight.incrementAndGet();
            send();
        }
    }

    private void onAnswer(Buffer frame) {
        if (succeeded()) {
            send();
        }
    }

    private void send() {
        socket.write(FrameCodec.encode(nextRequestId.incrementAndGet(), invoke));
    }

    @Override
    public void close() {
        try {
            socket.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the JVM exits soon after
        }
    }
}
