package io.praas.bench;

import io.praas.protocol.FrameCodec;
import io.praas.protocol.FrameParser;
import io.praas.protocol.Message;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The throughput baseline: a Vert.x NetServer with the process's settings (one event loop,
 * TCP_NODELAY) that splits the stream into PraaS frames and answers each one on the event loop
 * with an empty RESULT frame carrying its requestId: the wire work of a no-op invoke without
 * sessions, workers or a function.
 *
 * <pre>{@code
 * java -cp ... io.praas.bench.VertxEchoServer /tmp/port-file
 * }</pre>
 */
public final class VertxEchoServer {
    private static final Message.Result EMPTY_RESULT = new Message.Result(new byte[0]);

    private VertxEchoServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: VertxEchoServer PORT_FILE");
            System.exit(2);
        }
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setPreferNativeTransport(true));
        NetServer server = vertx.createNetServer(new NetServerOptions()
                .setHost("127.0.0.1").setPort(0).setTcpNoDelay(true).setReuseAddress(true));
        server.connectHandler(VertxEchoServer::serve);
        int port = server.listen().toCompletionStage().toCompletableFuture().get().actualPort();
        ServerJvm.exitWhenParentDies();
        ServerJvm.announcePort(Path.of(args[0]), port);
        System.out.println("Vert.x frame echo server listening on 127.0.0.1:" + port);
        new CountDownLatch(1).await(); // serve until stopped
    }

    private static void serve(NetSocket socket) {
        socket.handler(new FrameParser(FrameCodec.DEFAULT_MAX_FRAME_BYTES,
                frame -> socket.write(FrameCodec.encode(FrameCodec.requestIdOf(frame), EMPTY_RESULT)),
                e -> {
                    System.err.println("closing " + socket.remoteAddress() + ": " + e.getMessage());
                    socket.close();
                }));
    }

    /** The RESULT frame the server answers with, to report its size. */
    static Buffer answerFrame() {
        return FrameCodec.encode(1, EMPTY_RESULT);
    }
}
