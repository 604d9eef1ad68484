package io.praas.process.e2e;

import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** MESSAGE (PROTOCOL.md rule 8): from peer processes only, acknowledged once it is in the mailbox. */
class PeerMessageTest {
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
    void messageFromAClientIsForbiddenAndTheConnectionStaysOpen() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello(); // peerId "": a client, not a peer process
            c.send(5, new Message.PeerMessage("p-someone", "greeting", utf8("hi")));

            c.readError(5, ErrorCode.FORBIDDEN);
            c.assertServes(6);
        }
    }

    /** Until the mailbox exists, docs/PROTOCOL.md says a peer's MESSAGE gets ERROR 7 and the connection stays. */
    @Test
    void peerMessageIsAnsweredUnknownTypeUntilTheMailboxExists() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(1, new Message.Hello("", "", "p-peer", "e2e-peer"));
            assertThat(c.read().message()).isInstanceOf(Message.Welcome.class);
            c.send(7, new Message.PeerMessage("p-peer", "greeting", utf8("hi")));

            Frame answer = c.read();
            assertThat(answer.requestId()).isEqualTo(7);
            assertThat(answer.message()).isInstanceOfSatisfying(Message.Error.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TYPE));
            c.assertServes(8);
        }
    }
}
