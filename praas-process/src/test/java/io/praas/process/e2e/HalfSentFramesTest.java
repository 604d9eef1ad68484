package io.praas.process.e2e;

import io.praas.client.ProcessClient;
import io.praas.process.launch.LocalProcess;
import io.praas.process.testapp.TestAppJar;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.praas.process.e2e.RawConnection.concat;
import static io.praas.process.e2e.RawConnection.lengthField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connections that announce large frames (within maxFrameBytes) but send only their first bytes:
 * what they cost the process must be what they sent, not what they announced, or a few
 * unauthenticated sockets exhaust its heap.
 */
class HalfSentFramesTest {
    private static final int CONNECTIONS = 32;
    private static final int ANNOUNCED_BYTES = 8 * 1024 * 1024;
    private static LocalProcess process;

    @BeforeAll
    static void startProcess() {
        // 32 announced 8 MiB frames are twice this heap.
        process = TestProcesses.start(LocalProcess.builder(TestAppJar.path()).jvmOption("-Xmx128m"), List.of("--dev"));
    }

    @AfterAll
    static void stopProcess() {
        TestProcesses.stop(process);
    }

    @Test
    void connectionsHoldingHalfSentLargeFramesDoNotExhaustTheHeap() {
        List<RawConnection> slowSenders = new ArrayList<>();
        try (ProcessClient client = TestProcesses.connect(process)) {
            for (int i = 0; i < CONNECTIONS; i++) {
                RawConnection c = RawConnection.open(process.port());
                slowSenders.add(c);
                c.send(concat(lengthField(ANNOUNCED_BYTES), new byte[] {1}));
            }
            byte[] payload = new byte[1024 * 1024];
            Arrays.fill(payload, (byte) 'p');

            for (int i = 0; i < 5; i++) {
                assertThat(client.invoke("echo", payload)).isEqualTo(payload);
            }
            List<String> outOfMemory = process.log().lines().filter(l -> l.contains("OutOfMemoryError")).toList();
            assertThat(outOfMemory).as("OutOfMemoryErrors in the process's log").isEmpty();
        } finally {
            slowSenders.forEach(RawConnection::close);
        }
    }

    /**
     * After WELCOME the frame limit is the process's (16 MiB by default), and a large frame's bytes
     * are reserved when its length arrives, but only within a budget for all connections together
     * (a quarter of the heap); the rest grow as their bytes come. 32 welcomed connections that start
     * 8 MiB frames would otherwise reserve twice this heap.
     */
    @Test
    void welcomedConnectionsStartingLargeFramesDoNotExhaustTheHeap() {
        byte[] started = Arrays.copyOf(FrameCodec.encode(7, new Message.Ping(new byte[ANNOUNCED_BYTES])).getBytes(), 100);
        List<RawConnection> slowSenders = new ArrayList<>();
        try (ProcessClient client = TestProcesses.connect(process)) {
            for (int i = 0; i < CONNECTIONS; i++) {
                RawConnection c = RawConnection.open(process.port());
                slowSenders.add(c);
                c.hello();
                c.send(started);
            }
            byte[] payload = new byte[1024 * 1024];
            Arrays.fill(payload, (byte) 'q');
            for (int i = 0; i < 5; i++) {
                assertThat(client.invoke("echo", payload)).isEqualTo(payload);
            }
            // A connection that finishes its frame is answered in full.
            RawConnection first = slowSenders.get(0);
            byte[] whole = FrameCodec.encode(7, new Message.Ping(new byte[ANNOUNCED_BYTES])).getBytes();
            first.send(Arrays.copyOfRange(whole, 100, whole.length));
            Frame pong = first.read();
            assertThat(pong.requestId()).isEqualTo(7);
            assertThat(((Message.Pong) pong.message()).data()).hasSize(ANNOUNCED_BYTES);

            List<String> outOfMemory = process.log().lines().filter(l -> l.contains("OutOfMemoryError")).toList();
            assertThat(outOfMemory).as("OutOfMemoryErrors in the process's log").isEmpty();
        } finally {
            slowSenders.forEach(RawConnection::close);
        }
    }
}
