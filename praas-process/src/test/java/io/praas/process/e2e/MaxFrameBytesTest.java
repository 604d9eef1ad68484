package io.praas.process.e2e;

import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static io.praas.process.e2e.RawConnection.lengthField;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** --max-frame-bytes: announced in WELCOME and enforced at exactly that length (PROTOCOL.md rule 2). */
class MaxFrameBytesTest {
    private static final int MAX_FRAME_BYTES = 65_536;
    private static LocalProcess process;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev("--max-frame-bytes", Integer.toString(MAX_FRAME_BYTES));
    }

    @AfterAll
    static void stopProcess() {
        TestProcesses.stop(process);
    }

    @Test
    void welcomeAnnouncesTheConfiguredMaxFrameBytes() {
        try (RawConnection c = RawConnection.open(process.port())) {
            assertThat(c.hello().maxFrameBytes()).isEqualTo(MAX_FRAME_BYTES);
        }
    }

    @Test
    void frameOfExactlyMaxFrameBytesIsServed() {
        // length = 12 header bytes after the length field + the PING's data.
        byte[] data = new byte[MAX_FRAME_BYTES - FrameCodec.MIN_LENGTH];
        Arrays.fill(data, (byte) 7);
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(3, new Message.Ping(data));

            Frame f = c.read();
            assertThat(f.requestId()).isEqualTo(3);
            assertThat(((Message.Pong) f.message()).data()).isEqualTo(data);
        }
    }

    @Test
    void frameOneByteOverMaxFrameBytesGetsFrameTooLargeAndTheConnectionCloses() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(lengthField(MAX_FRAME_BYTES + 1L));

            c.readError(0, ErrorCode.FRAME_TOO_LARGE);
            assertThat(c.closedByPeer()).as("connection closed").isTrue();
        }
    }

    @Test
    void errorsQuotingWhatTheDiallerSentFitTheSmallestFrameLimit() {
        LocalProcess small = TestProcesses.startDev("--max-frame-bytes", "1024");
        try (RawConnection c = RawConnection.open(small.port())) {
            c.hello();
            String longName = "\u00e9t\u00e9".repeat(300); // 900 characters, 1,500 UTF-8 bytes: the frame is legal
            c.send(6, new Message.Invoke(longName.substring(0, 600), "", 5000, new byte[0]));
            c.readError(6, ErrorCode.UNKNOWN_FUNCTION);
            assertThat(c.lastLength()).as("ERROR frame length").isLessThanOrEqualTo(1024);
            c.send(7, new Message.CloseSession("s".repeat(1000)));
            c.readError(7, ErrorCode.SESSION_NOT_FOUND);
            assertThat(c.lastLength()).as("ERROR frame length").isLessThanOrEqualTo(1024);
            c.assertServes(8);
        } finally {
            TestProcesses.stop(small);
        }
    }

    @Test
    void resultOverMaxFrameBytesIsAnsweredWithAnErrorInsteadOfAnOversizedFrame() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(4, new Message.Invoke("generate", "", 5000, utf8(Integer.toString(MAX_FRAME_BYTES + 1))));

            Frame f = c.read();
            assertThat(f.requestId()).isEqualTo(4);
            assertThat(f.message()).isInstanceOf(Message.Error.class);
            c.assertServes(5);
        }
    }
}
