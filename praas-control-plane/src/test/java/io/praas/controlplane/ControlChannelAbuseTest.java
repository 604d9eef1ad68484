package io.praas.controlplane;

import io.praas.backend.BackendHandle;
import io.praas.backend.LaunchSpec;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one process can do to the others through its control channel: processes played by raw
 * sockets that register with the environment the control plane launched them with.
 */
class ControlChannelAbuseTest {

    /** A process on a raw socket: registers, heartbeats every 500 ms, keeps what the control plane answers. */
    static final class FakeProcess implements AutoCloseable {
        final Map<String, String> env;
        final Socket socket;
        final OutputStream out;
        final Map<Long, CompletableFuture<Message>> answers = new ConcurrentHashMap<>();
        volatile boolean closedByControlPlane;

        FakeProcess(Map<String, String> env, int dataPort) throws IOException {
            this.env = env;
            String[] hostPort = env.get("PRAAS_CONTROL_PLANE").split(":");
            socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            Thread reader = new Thread(() -> {
                try {
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    while (true) {
                        int length = in.readInt();
                        byte[] frame = new byte[4 + length];
                        java.nio.ByteBuffer.wrap(frame).putInt(length);
                        in.readFully(frame, 4, length);
                        Frame f = FrameCodec.decode(Buffer.buffer(frame));
                        if (f.requestId() != 0) {
                            answers.computeIfAbsent(f.requestId(), k -> new CompletableFuture<>()).complete(f.message());
                        }
                    }
                } catch (IOException e) {
                    closedByControlPlane = !socket.isClosed();
                }
            }, "fake-process-reader");
            reader.setDaemon(true);
            reader.start();
            send(1, new Message.Register(env.get("PRAAS_APPLICATION"), env.get("PRAAS_PROCESS_ID"),
                    env.get("PRAAS_CONTROL_TOKEN"), "127.0.0.1", dataPort, "fake"));
            Thread beats = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Thread.sleep(500);
                        send(0, new Message.Heartbeat(0, 0, 0, System.currentTimeMillis(), 0));
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "fake-process-heartbeats");
            beats.setDaemon(true);
            beats.start();
        }

        synchronized void send(long rid, Message m) throws IOException {
            out.write(FrameCodec.encode(rid, m).getBytes());
            out.flush();
        }

        synchronized void sendMany(byte[] frame, int times) throws IOException {
            for (int i = 0; i < times; i++) {
                out.write(frame);
            }
            out.flush();
        }

        Message answer(long rid) throws Exception {
            return answers.computeIfAbsent(rid, k -> new CompletableFuture<>()).get(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Starts a fake process for every launch (none for ids starting with "hang": they never register). */
    static final class FakeBackend extends StubBackend {
        final Map<String, List<FakeProcess>> started = new ConcurrentHashMap<>();

        FakeBackend() {
            super("fake");
        }

        @Override
        public CompletionStage<BackendHandle> start(LaunchSpec spec) {
            BackendHandle h = new BackendHandle(name(), spec.processId() + "-" + System.nanoTime(), Map.of());
            if (!spec.processId().startsWith("hang")) {
                try {
                    started.computeIfAbsent(spec.application() + "/" + spec.processId(), k -> new CopyOnWriteArrayList<>())
                            .add(new FakeProcess(spec.environment(), 9));
                } catch (IOException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
            return CompletableFuture.completedFuture(h);
        }

        FakeProcess latest(String key) {
            List<FakeProcess> all = started.get(key);
            return all.get(all.size() - 1);
        }

        void closeAll() {
            started.values().forEach(l -> l.forEach(f -> {
                try {
                    f.close();
                } catch (IOException e) {
                    // closing
                }
            }));
        }
    }

    /** Applications "victim" (process v1) and {@code other} (process {@code otherProcess}), both running. */
    private static void victimBeside(Api api, String other, String otherProcess) {
        SwapApp.deploy(api, "victim", Map.of("resources", ControlPlanes.SMALL));
        SwapApp.deploy(api, other, Map.of("resources", ControlPlanes.SMALL));
        assertThat(api.post("/v1/applications/victim/processes", Map.of("name", "v1")).status()).isEqualTo(201);
        assertThat(api.post("/v1/applications/" + other + "/processes", Map.of("name", otherProcess)).status())
                .isEqualTo(201);
    }

    private static String status(Api api, String app, String id) {
        return api.get("/v1/applications/" + app + "/processes/" + id).json().path("status").asText();
    }

    @Test
    void aFloodOfHeartbeatsFromOneProcessFailsNoOtherProcess(@TempDir Path dir) throws Exception {
        FakeBackend backend = new FakeBackend();
        try (ControlPlane cp = ControlPlane.start(ControlPlanes.options(dir).config(), backend)) {
            Api api = Api.admin(cp);
            victimBeside(api, "noisy", "n1");

            byte[] beat = FrameCodec.encode(0, new Message.Heartbeat(0, 0, 0, System.currentTimeMillis(), 0)).getBytes();
            backend.latest("noisy/n1").sendMany(beat, 500_000);

            // Past the heartbeat timeout (5 s) and its checks: each heartbeat counts from its arrival.
            Thread.sleep(8_000);
            assertThat(status(api, "victim", "v1")).isEqualTo("ACTIVE");
            assertThat(status(api, "noisy", "n1")).isEqualTo("ACTIVE");
        } finally {
            backend.closeAll();
        }
    }

    @Test
    void swapInsAProcessAsksForDoNotHoldTheWorkersOfTheRestApi(@TempDir Path dir) throws Exception {
        FakeBackend backend = new FakeBackend();
        try (ControlPlane cp = ControlPlane.start(ControlPlanes.options(dir).config(), backend)) {
            Api api = Api.admin(cp);
            victimBeside(api, "asking", "a1");
            // A peer that starts and never registers: a swap-in of it waits until its allocation timeout.
            CompletableFuture.runAsync(() -> api.post("/v1/applications/asking/processes", Map.of("name", "hang-1")));
            ControlPlanes.eventually(Duration.ofSeconds(10), () -> status(api, "asking", "hang-1"),
                    "ALLOCATING"::equals, "the peer that never registers");
            FakeProcess asking = backend.latest("asking/a1");
            for (int i = 0; i < 200; i++) {
                asking.send(10 + i, new Message.SwapIn("hang-1"));
            }
            Thread.sleep(1_000);

            // The API still answers (it waited ~60 s, behind 200 blocked workers, before).
            String v1 = CompletableFuture.supplyAsync(() -> status(api, "victim", "v1")).get(10, TimeUnit.SECONDS);
            assertThat(v1).isEqualTo("ACTIVE");
        } finally {
            backend.closeAll();
        }
    }

    @Test
    void anEarlierIncarnationsTokenDoesNotRegisterOverTheProcessThatRunsNow(@TempDir Path dir) throws Exception {
        FakeBackend backend = new FakeBackend();
        try (ControlPlane cp = ControlPlane.start(ControlPlanes.options(dir).config(), backend)) {
            Api api = Api.admin(cp);
            SwapApp.deploy(api, "shop", Map.of("resources", ControlPlanes.SMALL));
            String processes = "/v1/applications/shop/processes";
            assertThat(api.post(processes, Map.of("name", "p1")).status()).isEqualTo(201);
            FakeProcess first = backend.latest("shop/p1");
            assertThat(api.delete(processes + "/p1").status()).isEqualTo(204);
            first.close();
            assertThat(api.post(processes, Map.of("name", "p1")).status()).isEqualTo(201);
            FakeProcess now = backend.latest("shop/p1");
            String endpoint = api.get(processes + "/p1").json().path("endpoint").toString();

            // The deleted incarnation's token, from a process of its own.
            try (FakeProcess stale = new FakeProcess(first.env, 6666)) {
                Message answer = stale.answer(1);

                assertThat(answer).isInstanceOfSatisfying(Message.Error.class, e ->
                        assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
            }
            assertThat(api.get(processes + "/p1").json().path("endpoint").toString()).isEqualTo(endpoint);
            assertThat(status(api, "shop", "p1")).isEqualTo("ACTIVE");
            assertThat(now.closedByControlPlane).as("the channel of the process that runs now").isFalse();
        } finally {
            backend.closeAll();
        }
    }
}
