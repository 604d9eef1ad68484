package io.praas.process.e2e;

import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.praas.protocol.MessageType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.praas.process.e2e.RawConnection.concat;
import static io.praas.process.e2e.RawConnection.frame;
import static io.praas.process.e2e.RawConnection.lengthField;
import static io.praas.process.e2e.RawConnection.str;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The frame format and PROTOCOL.md rules 2 and 3: which broken frames close the connection and
 * which are answered with an ERROR on a connection that stays open.
 */
class FramingTest {
    private static LocalProcess process;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev();
    }

    @AfterAll
    static void stopProcess() {
        TestProcesses.stop(process);
    }

    private static RawConnection welcomed() {
        RawConnection c = RawConnection.open(process.port());
        c.hello();
        return c;
    }

    @Test
    void frameOverMaxFrameBytesGetsFrameTooLargeWithRequestIdZeroAndTheConnectionCloses() {
        try (RawConnection c = welcomed()) {
            c.send(lengthField(FrameCodec.DEFAULT_MAX_FRAME_BYTES + 1L));

            c.readError(0, ErrorCode.FRAME_TOO_LARGE);
            assertThat(c.closedByPeer()).as("connection closed").isTrue();
        }
    }

    @Test
    void lengthOfFourGibibytesIsReadUnsignedAndGetsFrameTooLarge() {
        try (RawConnection c = welcomed()) {
            c.send(lengthField(0xFFFF_FFFFL));

            c.readError(0, ErrorCode.FRAME_TOO_LARGE);
            assertThat(c.closedByPeer()).as("connection closed").isTrue();
        }
    }

    @Test
    void lengthUnderTwelveGetsMalformedFrameWithRequestIdZeroAndTheConnectionCloses() {
        try (RawConnection c = welcomed()) {
            c.send(lengthField(11));

            c.readError(0, ErrorCode.MALFORMED_FRAME);
            assertThat(c.closedByPeer()).as("connection closed").isTrue();
        }
    }

    @Test
    void unknownTypeGetsUnknownTypeWithItsRequestIdAndTheConnectionStaysOpen() {
        try (RawConnection c = welcomed()) {
            c.send(frame(1, 0x55, 21, utf8("what is this")));

            c.readError(21, ErrorCode.UNKNOWN_TYPE);
            c.assertServes(22);
        }
    }

    @Test
    void versionTwoGetsUnsupportedVersionWithItsRequestIdAndTheConnectionStaysOpen() {
        try (RawConnection c = welcomed()) {
            c.send(frame(2, MessageType.PING, 23, utf8("from the future")));

            c.readError(23, ErrorCode.UNSUPPORTED_VERSION);
            c.assertServes(24);
        }
    }

    @Test
    void strLongerThanTheFrameGetsMalformedFrameWithItsRequestIdAndTheConnectionStaysOpen() {
        // INVOKE whose function name claims 500 bytes but the frame holds 4.
        byte[] body = concat(ByteBuffer.allocate(2).putShort((short) 500).array(), utf8("echo"));
        try (RawConnection c = welcomed()) {
            c.send(frame(1, MessageType.INVOKE, 25, body));

            c.readError(25, ErrorCode.MALFORMED_FRAME);
            c.assertServes(26);
        }
    }

    @Test
    void missingFieldGetsMalformedFrameWithItsRequestIdAndTheConnectionStaysOpen() {
        // INVOKE with a function name and nothing else: no sessionId, no timeoutMs.
        try (RawConnection c = welcomed()) {
            c.send(frame(1, MessageType.INVOKE, 27, str("echo")));

            c.readError(27, ErrorCode.MALFORMED_FRAME);
            c.assertServes(28);
        }
    }

    @Test
    void strThatIsNotUtf8GetsMalformedFrameAndTheConnectionStaysOpen() {
        byte[] notUtf8 = {0, 2, (byte) 0xC3, 0x28};
        try (RawConnection c = welcomed()) {
            c.send(frame(1, MessageType.OPEN_SESSION, 29, notUtf8));

            c.readError(29, ErrorCode.MALFORMED_FRAME);
            c.assertServes(30);
        }
    }

    @Test
    void unknownFlagBitsAreIgnored() {
        byte[] data = utf8("flags");
        try (RawConnection c = welcomed()) {
            c.send(frame(1, MessageType.PING, 0xFFFF, 31, data));

            Frame f = c.read();
            assertThat(f.requestId()).isEqualTo(31);
            assertThat(f.message()).isInstanceOf(Message.Pong.class);
            assertThat(((Message.Pong) f.message()).data()).isEqualTo(data);
        }
    }

    @Test
    void frameWrittenOneByteAtATimeIsReassembled() {
        byte[] data = utf8("slowly");
        byte[] ping = FrameCodec.encode(33, new Message.Ping(data)).getBytes();
        try (RawConnection c = welcomed()) {
            for (byte b : ping) {
                c.send(new byte[] {b});
            }

            Frame f = c.read();
            assertThat(f.requestId()).isEqualTo(33);
            assertThat(((Message.Pong) f.message()).data()).isEqualTo(data);
        }
    }

    @Test
    void severalFramesInOneWriteAreEachAnswered() {
        byte[] three = concat(
                FrameCodec.encode(41, new Message.Ping(utf8("a"))).getBytes(),
                FrameCodec.encode(42, new Message.Ping(utf8("b"))).getBytes(),
                FrameCodec.encode(43, new Message.Ping(utf8("c"))).getBytes());
        try (RawConnection c = welcomed()) {
            c.send(three);

            assertThat(c.read().requestId()).isEqualTo(41);
            assertThat(c.read().requestId()).isEqualTo(42);
            assertThat(c.read().requestId()).isEqualTo(43);
        }
    }
}
