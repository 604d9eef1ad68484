package io.praas.process.e2e;

import io.praas.client.ProcessClient;
import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.praas.protocol.MessageType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static io.praas.process.e2e.RawConnection.concat;
import static io.praas.process.e2e.RawConnection.frame;
import static io.praas.process.e2e.RawConnection.lengthField;
import static io.praas.process.e2e.RawConnection.str;
import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input never takes the process down: it keeps serving after garbage and abandoned connections,
 * and a connection costs it no more than its peer takes away (unread answers, a missing HELLO).
 */
class GarbageInputTest {
    private static LocalProcess process;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev();
    }

    @AfterAll
    static void stopProcess() {
        TestProcesses.stop(process);
    }

    private static byte[] hello() {
        return FrameCodec.encode(1, new Message.Hello("", "", "", "garbage")).getBytes();
    }

    private static byte[] random(Random random, int maxLength) {
        byte[] b = new byte[1 + random.nextInt(maxLength)];
        random.nextBytes(b);
        return b;
    }

    /** What each garbage connection writes before it goes away. */
    private static List<byte[]> garbage(Random random) {
        List<byte[]> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            all.add(random(random, 4096));                                          // noise from the first byte
            all.add(concat(hello(), random(random, 4096)));                         // noise after the handshake
        }
        all.add(new byte[0]);                                                       // connect, then close
        all.add(new byte[] {0, 0});                                                 // half a length field
        all.add(lengthField(0));                                                    // length 0
        all.add(lengthField(0x7FFF_FFFFL));                                         // huge length
        all.add(concat(lengthField(1000), new byte[10]));                           // truncated before HELLO
        all.add(concat(hello(), lengthField(1000), new byte[10]));                  // truncated mid-frame
        all.add(concat(hello(), frame(1, MessageType.INVOKE, 2, random(random, 64))));  // INVOKE with a random body
        all.add(frame(1, MessageType.HELLO, 1, random(random, 64)));                // HELLO with a random body
        all.add(frame(1, MessageType.HELLO, 1, concat(str(""), new byte[] {(byte) 0xFF, (byte) 0xFF})));
        all.add(concat(hello(), frame(1, MessageType.INVOKE, 3,
                concat(str("sleep"), str(""), new byte[] {0, 0, 0x27, 0x10}, utf8("200")))));  // then abandoned
        all.add(concat(hello(), frame(1, MessageType.INVOKE, 0,
                concat(str("echo"), str(""), new byte[4], utf8("id zero")))));
        for (int i = 0; i < 5; i++) {
            all.add(concat(hello(), frame(1, 0x80 + random.nextInt(0x80), random.nextLong(), random(random, 256))));
        }
        return all;
    }

    @Test
    void processServesAfterABurstOfGarbageConnections() throws IOException {
        Random random = new Random(20240601);
        int n = 0;
        for (byte[] bytes : garbage(random)) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", process.port()), 5000);
                s.setSoLinger(n++ % 2 == 0, 0); // every other one is reset instead of closed
                OutputStream out = s.getOutputStream();
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                // the process may close first; that is its right
            }
        }

        assertThat(process.isAlive()).isTrue();
        try (ProcessClient client = TestProcesses.connect(process)) {
            assertThat(text(client.invoke("echo", utf8("after the garbage")))).isEqualTo("after the garbage");
        }
    }

    @Test
    void processServesAfterAClientLeavesWithAnInvocationInFlight() {
        String key = "abandoned-" + System.nanoTime();
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(2, new Message.Invoke("interruptible", "", 10_000, utf8(key + ":300")));
            c.assertServes(3);
        }

        try (ProcessClient client = TestProcesses.connect(process)) {
            TestProcesses.awaitTrue("the abandoned invocation finished", Duration.ofSeconds(10),
                    () -> "finished".equals(text(client.invoke("getState", utf8(key)))));
            assertThat(text(client.invoke("echo", utf8("still serving")))).isEqualTo("still serving");
        }
    }

    // ---- what a connection may cost: unread answers, a missing HELLO, frames behind a refusal

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
