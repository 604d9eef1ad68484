package io.praas.process.control;

import io.praas.process.PraasProcess;
import io.praas.process.ProcessConfig;
import io.praas.process.testapp.TestAppJar;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.praas.protocol.GoAwayReason;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The process's side of the control channel against a control plane played by a plain socket: the
 * connection dialled while the process starts carries its REGISTER, and a control plane that hangs
 * up before the REGISTER fails the start at once.
 */
class ControlChannelTest {

    @Test
    void registersOverTheConnectionDialledWhileStarting() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            CompletableFuture<Message.Register> register = new CompletableFuture<>();
            Thread plane = new Thread(() -> {
                try (Socket s = server.accept()) {
                    accepted.incrementAndGet();
                    Frame f = readFrame(s);
                    register.complete((Message.Register) f.message());
                    write(s.getOutputStream(), FrameCodec.encode(f.requestId(), new Message.Ok()));
                    server.setSoTimeout(1_000);
                    try (Socket another = server.accept()) {
                        accepted.incrementAndGet();
                    } catch (java.net.SocketTimeoutException none) {
                        // the one connection it should have
                    }
                    s.getInputStream().read(); // until the process closes its channel
                } catch (IOException | RuntimeException e) {
                    register.completeExceptionally(e);
                }
            }, "test-control-plane");
            plane.start();

            PraasProcess p = PraasProcess.start(config("p-dialled"), settings(server), null, null);
            int port = p.port();
            p.stop(GoAwayReason.STOPPING);
            plane.join(10_000);

            Message.Register r = register.get(10, TimeUnit.SECONDS);
            assertThat(r.processId()).isEqualTo("p-dialled");
            assertThat(r.dataPort()).isEqualTo(port);
            assertThat(accepted.get()).as("connections to the control plane").isEqualTo(1);
        }
    }

    @Test
    void aControlPlaneThatHangsUpBeforeTheRegisterFailsTheStartAtOnce() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread plane = new Thread(() -> {
                try (Socket s = server.accept()) {
                    // closed at once: the process is still loading its functions
                } catch (IOException ignored) {
                    // the test fails on the start's outcome instead
                }
            }, "test-control-plane");
            plane.start();
            long start = System.nanoTime();

            IllegalStateException e = catchThrowableOfType(
                    () -> PraasProcess.start(config("p-hung-up"), settings(server), null, null),
                    IllegalStateException.class);

            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(e).as("the start fails").isNotNull();
            assertThat(e.getMessage()).contains("cannot register").contains("closed");
            // The registration timeout is 30 s: the failure must not wait for it.
            assertThat(took).isLessThan(Duration.ofSeconds(20));
            plane.join(5_000);
        }
    }

    private static ProcessConfig config(String id) {
        return ProcessConfig.defaults("control-test", id, TestAppJar.path());
    }

    private static ControlChannel.Settings settings(ServerSocket server) {
        return new ControlChannel.Settings("127.0.0.1", server.getLocalPort(), "token", "127.0.0.1",
                Duration.ofSeconds(30));
    }

    private static Frame readFrame(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int length = in.readInt();
        byte[] rest = new byte[length];
        in.readFully(rest);
        return FrameCodec.decode(Buffer.buffer().appendInt(length).appendBytes(rest));
    }

    private static void write(OutputStream out, Buffer frame) throws IOException {
        out.write(frame.getBytes());
        out.flush();
    }
}
