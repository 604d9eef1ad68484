package io.praas.process.e2e;

import io.praas.client.ProcessClient;
import io.praas.process.launch.LocalProcess;
import io.praas.process.testapp.TestAppJar;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** PROTOCOL.md rule 1 in dev mode: HELLO first, and what WELCOME tells the dialler. */
class HandshakeTest {
    private static final String PROCESS_ID = "p-handshake";
    private static LocalProcess process;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev("--process-id", PROCESS_ID);
    }

    @AfterAll
    static void stopProcess() {
        TestProcesses.stop(process);
    }

    @Test
    void pingBeforeHelloGetsHandshakeRequiredAndTheConnectionCloses() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(5, new Message.Ping(utf8("too early")));

            c.readError(5, ErrorCode.HANDSHAKE_REQUIRED);
            assertThat(c.closedByPeer()).as("connection closed").isTrue();
        }
    }

    @Test
    void invokeBeforeHelloGetsHandshakeRequiredAndTheConnectionCloses() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(9, new Message.Invoke("echo", "", 1000, utf8("too early")));

            c.readError(9, ErrorCode.HANDSHAKE_REQUIRED);
            assertThat(c.closedByPeer()).as("connection closed").isTrue();
        }
    }

    @Test
    void welcomeCarriesTheProcessIdAndTheDefaultMaxFrameBytes() {
        try (RawConnection c = RawConnection.open(process.port())) {
            Message.Welcome welcome = c.hello();

            assertThat(welcome.processId()).isEqualTo(PROCESS_ID);
            assertThat(welcome.maxFrameBytes()).isEqualTo(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
        }
    }

    @Test
    void connectionServesRequestsAfterWelcome() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();

            c.assertServes(2);
        }
    }

    @Test
    void devModeAcceptsAnEmptyToken() {
        try (ProcessClient client = TestProcesses.connect(process, "")) {
            assertThat(client.processId()).isEqualTo(PROCESS_ID);
            assertThat(text(client.invoke("echo", utf8("dev")))).isEqualTo("dev");
        }
    }

    @Test
    void helloNamingTheProcesssOwnApplicationIsAccepted() {
        try (RawConnection c = RawConnection.open(process.port())) {
            Message.Welcome welcome = c.hello(TestAppJar.APPLICATION, "");

            assertThat(welcome.processId()).isEqualTo(PROCESS_ID);
        }
    }

    @Test
    void helloNamingAnotherApplicationIsForbiddenInDevModeToo() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(1, new Message.Hello("someone-else", "", "", "e2e-raw"));

            c.readError(1, ErrorCode.FORBIDDEN);
            assertThat(c.closedByPeer()).as("connection closed").isTrue();
        }
    }
}
