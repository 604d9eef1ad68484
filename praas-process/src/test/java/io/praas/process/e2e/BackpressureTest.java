package io.praas.process.e2e;

import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static io.praas.process.e2e.RawConnection.concat;
import static org.assertj.core.api.Assertions.assertThat;

/** A connection costs the process only what its peer takes away: unread answers, a missing HELLO. */
class BackpressureTest {
    private static LocalProcess process;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev();
    }

    @AfterAll
    static void stopProcess() {
        TestProcesses.stop(process);
    }

    @Test
    void aPeerThatDoesNotReadItsAnswersIsNotReadEitherAndLosesNone() throws Exception {
        int pings = 200;
        byte[] data = new byte[512 * 1024]; // 100 MiB in all: more than the sockets' buffers hold
        Arrays.fill(data, (byte) 7);
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            AtomicInteger written = new AtomicInteger();
            Thread writer = new Thread(() -> {
                for (int i = 1; i <= pings; i++) {
                    c.send(i, new Message.Ping(data));
                    written.incrementAndGet();
                }
            });
            writer.setDaemon(true);
            writer.start();
            writer.join(3_000);
            assertThat(written.get()).as("PINGs the process took while their PONGs went unread").isLessThan(pings);
            assertThat(process.isAlive()).isTrue();

            for (int i = 1; i <= pings; i++) {
                Frame f = c.read();
                assertThat(f.requestId()).isEqualTo(i);
                assertThat(((Message.Pong) f.message()).data()).hasSize(data.length);
            }
            writer.join(10_000);
            assertThat(written.get()).isEqualTo(pings);
            c.assertServes(pings + 1);
        }
    }

    @Test
    void aConnectionWithoutHelloIsClosedAfterTheHelloTimeout() {
        try (RawConnection c = RawConnection.open(process.port())) {
            Frame f = readWithin(c, Duration.ofSeconds(15));
            assertThat(f.message()).isInstanceOf(Message.Error.class);
            assertThat(((Message.Error) f.message()).code()).isEqualTo(ErrorCode.HANDSHAKE_REQUIRED);
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void framesAfterARefusalInTheSameWriteAreNotServed() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(concat(FrameCodec.encode(1, new Message.Ping(new byte[1])).getBytes(),
                    FrameCodec.encode(2, new Message.Hello("", "", "", "late")).getBytes(),
                    FrameCodec.encode(3, new Message.Invoke("putState", "", 0, TestProcesses.utf8("behind=ran")))
                            .getBytes()));
            c.readError(1, ErrorCode.HANDSHAKE_REQUIRED);
            assertThat(c.closedByPeer()).as("closed after the refusal").isTrue();
        }
        // The client was told its first frame was refused and the connection closed: nothing behind it ran.
        try (io.praas.client.ProcessClient client = TestProcesses.connect(process)) {
            assertThat(client.invoke("getState", "behind", io.praas.codec.Codecs.utf8(), io.praas.codec.Codecs.utf8()))
                    .isEqualTo("");
        }
    }

    private static Frame readWithin(RawConnection c, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                return c.read();
            } catch (AssertionError timedOut) {
                if (System.nanoTime() > deadline) {
                    throw timedOut;
                }
            }
        }
    }
}
