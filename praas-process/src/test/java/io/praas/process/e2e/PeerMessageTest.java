package io.praas.process.e2e;

import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.praas.process.e2e.TestProcesses.text;
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

    /** A connection that said HELLO as peer process p-peer and was welcomed. */
    private static RawConnection welcomedPeer() {
        RawConnection peer = RawConnection.open(process.port());
        peer.send(1, new Message.Hello("", "", "p-peer", "e2e-peer"));
        assertThat(peer.read().message()).isInstanceOf(Message.Welcome.class);
        return peer;
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

    @Test
    void peerMessageIsAcknowledgedAndThenReceivedInOrder() {
        try (RawConnection peer = welcomedPeer(); ProcessClient client = TestProcesses.connect(process)) {
            peer.send(7, new Message.PeerMessage("p-peer", "greeting", utf8("first")));
            peer.send(8, new Message.PeerMessage("p-peer", "greeting", utf8("second")));

            assertThat(peer.read()).satisfies(f -> {
                assertThat(f.requestId()).isEqualTo(7);
                assertThat(f.message()).isInstanceOf(Message.Ok.class);
            });
            assertThat(peer.read().requestId()).isEqualTo(8);
            assertThat(text(client.invoke("take", utf8("p-peer|greeting|2000")))).isEqualTo("p-peer|first");
            assertThat(text(client.invoke("take", utf8("*|greeting|2000")))).isEqualTo("p-peer|second");
            peer.assertServes(9);
        }
    }

    @Test
    void messageUnderAnotherSendersNameIsForbidden() {
        try (RawConnection peer = welcomedPeer()) {
            peer.send(4, new Message.PeerMessage("p-impostor", "greeting", utf8("hi")));

            peer.readError(4, ErrorCode.FORBIDDEN);
            peer.assertServes(5);
        }
    }

    @Test
    void messageWithAnEmptyKeyIsInvalid() {
        try (RawConnection peer = welcomedPeer()) {
            peer.send(4, new Message.PeerMessage("p-peer", "", utf8("hi")));

            peer.readError(4, ErrorCode.INVALID_ARGUMENT);
            peer.assertServes(5);
        }
    }

    @Test
    void messageWithAKeyOverTheLimitIsInvalidAndNotStored() {
        try (RawConnection peer = welcomedPeer()) {
            peer.send(4, new Message.PeerMessage("p-peer", "k".repeat(1025), utf8("hi")));

            peer.readError(4, ErrorCode.INVALID_ARGUMENT);
            peer.assertServes(5);
        }
    }

    @Test
    void receiveWithNothingToTakeTimesOut() {
        try (ProcessClient client = TestProcesses.connect(process)) {
            PraasException e = TestProcesses.failureOf(() -> client.invoke("take", utf8("*|nothing-here|200")));
            assertThat(e.code()).isEqualTo(ErrorCode.FUNCTION_FAILED);
            assertThat(e.detail()).contains("TIMEOUT", "nothing-here");
        }
    }
}
