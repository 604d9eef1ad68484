package io.praas.process.e2e;

import io.praas.auth.DataPlaneToken;
import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.process.launch.LocalProcess;
import io.praas.process.testapp.TestAppJar;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.praas.process.e2e.TestProcesses.failureOf;
import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Data-plane tokens (PROTOCOL.md rule 1) on a process that runs without --dev, with its secret in
 * PRAAS_APP_SECRET.
 */
class TokenTest {
    private static final String PROCESS_ID = "p-auth";
    private static final byte[] SECRET = "e2e-application-secret".getBytes(StandardCharsets.UTF_8);
    private static LocalProcess process;

    /** How a HELLO was refused: the error, its requestId, and whether the process then closed the connection. */
    record Refusal(ErrorCode code, long requestId, boolean closed) {
    }

    @BeforeAll
    static void startProcess() {
        LocalProcess.Builder withSecret = LocalProcess.builder(TestAppJar.path())
                .env("PRAAS_APP_SECRET", new String(SECRET, StandardCharsets.UTF_8));
        process = TestProcesses.start(withSecret, List.of("--process-id", PROCESS_ID));
    }

    @AfterAll
    static void stopProcess() {
        TestProcesses.stop(process);
    }

    private static String token(byte[] secret, String application, String processId, Instant expiresAt) {
        return DataPlaneToken.issue(secret, application, processId, expiresAt);
    }

    private static String validToken() {
        return token(SECRET, TestAppJar.APPLICATION, "", inAnHour());
    }

    private static Instant inAnHour() {
        return Instant.now().plus(Duration.ofHours(1));
    }

    /** Sends one HELLO on a fresh connection and reports the ERROR that refused it. */
    private static Refusal refusalOf(String application, String token) {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(1, new Message.Hello(application, token, "", "e2e-raw"));
            Frame f = c.read();
            assertThat(f.message()).as("answer to the HELLO").isInstanceOf(Message.Error.class);
            return new Refusal(((Message.Error) f.message()).code(), f.requestId(), c.closedByPeer());
        }
    }

    @Test
    void validTokenIsAccepted() {
        try (ProcessClient client = TestProcesses.connect(process, validToken())) {
            assertThat(client.processId()).isEqualTo(PROCESS_ID);
            assertThat(text(client.invoke("echo", utf8("authenticated")))).isEqualTo("authenticated");
        }
    }

    @Test
    void tokenScopedToThisProcessIsAccepted() {
        String scoped = token(SECRET, TestAppJar.APPLICATION, PROCESS_ID, inAnHour());

        try (RawConnection c = RawConnection.open(process.port())) {
            assertThat(c.hello("", scoped).processId()).isEqualTo(PROCESS_ID);
        }
    }

    @Test
    void emptyApplicationInHelloMeansTheProcesssOwn() {
        try (RawConnection c = RawConnection.open(process.port())) {
            assertThat(c.hello("", validToken()).processId()).isEqualTo(PROCESS_ID);
        }
    }

    @Test
    void helloNamingTheProcesssApplicationIsAccepted() {
        try (RawConnection c = RawConnection.open(process.port())) {
            assertThat(c.hello(TestAppJar.APPLICATION, validToken()).processId()).isEqualTo(PROCESS_ID);
        }
    }

    @Test
    void emptyTokenIsUnauthenticatedAndTheConnectionCloses() {
        assertThat(refusalOf("", "")).isEqualTo(new Refusal(ErrorCode.UNAUTHENTICATED, 1, true));
    }

    @Test
    void sdkClientWithoutTokenFailsToConnectWithUnauthenticated() {
        PraasException e = failureOf(() -> TestProcesses.connect(process, ""));

        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void tokenSignedWithAnotherSecretIsUnauthenticated() {
        String forged = token("not-the-secret".getBytes(StandardCharsets.UTF_8), TestAppJar.APPLICATION, "", inAnHour());

        assertThat(refusalOf("", forged)).isEqualTo(new Refusal(ErrorCode.UNAUTHENTICATED, 1, true));
    }

    @Test
    void tokenWithAlteredClaimsIsUnauthenticated() {
        String valid = validToken();
        String[] parts = valid.split("\\.");
        // Same signature, but claims a later expiry.
        String altered = String.join(".", parts[0], parts[1], parts[2], Long.toString(Long.parseLong(parts[3]) + 3600), parts[4]);

        assertThat(refusalOf("", altered)).isEqualTo(new Refusal(ErrorCode.UNAUTHENTICATED, 1, true));
    }

    @Test
    void expiredTokenIsUnauthenticated() {
        String expired = token(SECRET, TestAppJar.APPLICATION, "", Instant.now().minus(Duration.ofMinutes(1)));

        assertThat(refusalOf("", expired)).isEqualTo(new Refusal(ErrorCode.UNAUTHENTICATED, 1, true));
    }

    @Test
    void malformedTokenIsUnauthenticated() {
        assertThat(refusalOf("", "not-a-token")).isEqualTo(new Refusal(ErrorCode.UNAUTHENTICATED, 1, true));
    }

    @Test
    void tokenForAnotherApplicationIsForbidden() {
        String otherApp = token(SECRET, "other-app", "", inAnHour());

        assertThat(refusalOf("", otherApp)).isEqualTo(new Refusal(ErrorCode.FORBIDDEN, 1, true));
    }

    @Test
    void tokenScopedToAnotherProcessIsForbidden() {
        String otherProcess = token(SECRET, TestAppJar.APPLICATION, "p-other", inAnHour());

        assertThat(refusalOf("", otherProcess)).isEqualTo(new Refusal(ErrorCode.FORBIDDEN, 1, true));
    }

    @Test
    void peerOfAnotherApplicationIsForbidden() {
        String otherApp = token(SECRET, "other-app", "", inAnHour());
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(1, new Message.Hello("other-app", otherApp, "p-of-other-app", "e2e-peer"));
            Frame f = c.read();
            assertThat(f.message()).isInstanceOfSatisfying(Message.Error.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void peerWithATokenSignedByAnotherApplicationIsForbidden() {
        // Each application has a secret of its own; its HELLO leaves the application empty.
        String otherApp = token("other-app's own secret".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "other-app", "", inAnHour());
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(1, new Message.Hello("", otherApp, "p-of-other-app", "e2e-peer"));
            Frame f = c.read();
            assertThat(f.message()).isInstanceOfSatisfying(Message.Error.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void peerWithThisApplicationsTokenIsWelcome() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.send(1, new Message.Hello("", validToken(), "p-peer", "e2e-peer"));
            assertThat(c.read().message()).isInstanceOf(Message.Welcome.class);
            c.send(2, new Message.PeerMessage("p-peer", "k", new byte[] {1}));
            assertThat(c.read().message()).isInstanceOf(Message.Ok.class);
        }
    }

    @Test
    void helloNamingAnotherApplicationIsForbidden() {
        assertThat(refusalOf("other-app", validToken())).isEqualTo(new Refusal(ErrorCode.FORBIDDEN, 1, true));
    }
}
