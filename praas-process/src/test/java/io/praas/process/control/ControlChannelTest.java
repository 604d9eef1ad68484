package io.praas.process.control;

import io.praas.process.PraasProcess;
import io.praas.process.ProcessConfig;
import io.praas.process.storage.S3Settings;
import io.praas.process.swap.CorruptSnapshotException;
import io.praas.process.swap.SwapManifest;
import io.praas.process.swap.SwapSettings;
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
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The process's side of the control channel against a control plane played by a plain socket: the
 * process dials it while it restores its state and registers over that connection, lets it go when
 * the start fails, and fails at once when the control plane hangs up before the REGISTER.
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
    void theControlPlaneIsDialledWhileTheStateIsRestoredAndLetGoWhenTheRestoreFails() throws Exception {
        try (ServerSocket plane = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
             ServerSocket store = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CountDownLatch dialled = new CountDownLatch(1);
            AtomicBoolean dialledDuringTheRestore = new AtomicBoolean();
            CompletableFuture<Integer> channelEnd = new CompletableFuture<>();
            Thread controlPlane = new Thread(() -> {
                try (Socket s = plane.accept()) {
                    dialled.countDown();
                    s.setSoTimeout(10_000);
                    channelEnd.complete(s.getInputStream().read()); // -1: closed by the process
                } catch (IOException e) {
                    channelEnd.completeExceptionally(e);
                }
            }, "test-control-plane");
            // An object store that answers the swap-in's GETs only once the control plane has been
            // dialled (or after 10 s), and then with 404: the restore fails.
            Thread objectStore = new Thread(() -> {
                try {
                    store.setSoTimeout(15_000);
                    for (int i = 0; i < 2; i++) { // the manifest and the first part
                        try (Socket s = store.accept()) {
                            readHead(s);
                            if (dialled.await(10, TimeUnit.SECONDS)) {
                                dialledDuringTheRestore.set(true);
                            }
                            s.getOutputStream().write(("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                } catch (IOException | InterruptedException ignored) {
                    // the assertions below fail instead
                }
            }, "test-object-store");
            controlPlane.start();
            objectStore.start();
            S3Settings s3 = new S3Settings(URI.create("http://127.0.0.1:" + store.getLocalPort()), "us-east-1",
                    "swaps", "access", "secret");
            String manifest = SwapManifest.manifestKey("control-test", "p-restoring", 1);

            Throwable failed = catchThrowable(() -> PraasProcess.start(config("p-restoring"), settings(plane),
                    new SwapSettings(s3, SwapSettings.DEFAULT_PART_SIZE, 2, manifest), null));

            assertThat(failed).isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("does not exist");
            assertThat(dialledDuringTheRestore).as("control plane dialled while the restore waited").isTrue();
            assertThat(channelEnd.get(15, TimeUnit.SECONDS)).as("the dialled connection closed").isEqualTo(-1);
            controlPlane.join(5_000);
            objectStore.join(5_000);
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

    /** Reads an HTTP request's head (a GET has no body). */
    private static void readHead(Socket s) throws IOException {
        java.io.InputStream in = s.getInputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("request ended early");
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
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
