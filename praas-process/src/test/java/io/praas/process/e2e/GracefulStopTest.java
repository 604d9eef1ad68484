package io.praas.process.e2e;

import io.praas.client.ProcessClient;
import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.GoAwayReason;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.praas.process.e2e.TestProcesses.failureOf;
import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * PROTOCOL.md rule 7 for a stop: the process is stopped with SIGTERM (LocalProcess.stop) while an
 * invocation runs. The scenario runs once; each test checks one thing that was observed.
 */
class GracefulStopTest {
    private static LocalProcess process;
    private static ProcessClient client;
    private static RawConnection raw;

    private static CompletableFuture<byte[]> inFlight;
    private static Message.GoAway clientGoAway;
    private static CompletableFuture<byte[]> sdkRequestAfterGoAway;
    private static Frame rawGoAway;
    private static Frame rawAnswerAfterGoAway;
    private static Frame closeSessionAfterGoAway;
    private static Frame helloDuringDrain;
    private static boolean helloDuringDrainClosed;
    private static boolean rawClosedAfterDrain;
    private static int exitCode;

    @BeforeAll
    static void stopWhileAnInvocationIsInFlight() throws Exception {
        process = TestProcesses.startDev("--drain-timeout", "20s");
        client = TestProcesses.connect(process);
        raw = RawConnection.open(process.port());
        raw.hello();
        raw.send(3, new Message.OpenSession(""));
        String session = ((Message.SessionOpened) raw.read().message()).sessionId();

        inFlight = client.invokeAsync("sleep", "", utf8("2500"), Duration.ofSeconds(20));
        client.ping(new byte[0]); // answered after the INVOKE before it was admitted

        CompletableFuture<Integer> stopped = CompletableFuture.supplyAsync(() -> process.stop(Duration.ofSeconds(30)));

        TestProcesses.awaitTrue("GOAWAY reaches the SDK client", Duration.ofSeconds(10), () -> client.goAway() != null);
        clientGoAway = client.goAway();
        sdkRequestAfterGoAway = client.invokeAsync("echo", "", utf8("too late"), Duration.ofSeconds(5));

        rawGoAway = raw.read();
        raw.send(7, new Message.Invoke("echo", "", 5000, utf8("too late")));
        rawAnswerAfterGoAway = raw.read();
        raw.send(8, new Message.CloseSession(session));
        closeSessionAfterGoAway = raw.read();

        try (RawConnection late = RawConnection.open(process.port())) {
            late.send(1, new Message.Hello("", "", "", "e2e-raw"));
            helloDuringDrain = late.read();
            helloDuringDrainClosed = late.closedByPeer();
        }

        rawClosedAfterDrain = raw.closedByPeerWithin(Duration.ofSeconds(15));
        exitCode = stopped.get(40, TimeUnit.SECONDS);
    }

    @AfterAll
    static void cleanUp() {
        if (raw != null) {
            raw.close();
        }
        if (client != null) {
            client.close();
        }
        TestProcesses.stop(process);
    }

    @Test
    void sdkClientReceivesGoAwayWithReasonStopping() {
        assertThat(clientGoAway).isNotNull();
        assertThat(clientGoAway.reason()).isEqualTo(GoAwayReason.STOPPING);
    }

    @Test
    void goAwayIsAConnectionLevelFrameWithReasonStopping() {
        assertThat(rawGoAway.requestId()).isZero();
        assertThat(rawGoAway.message()).isInstanceOf(Message.GoAway.class);
        assertThat(((Message.GoAway) rawGoAway.message()).reason()).isEqualTo(GoAwayReason.STOPPING);
    }

    @Test
    void invocationInFlightAtTheStopCompletesWithItsResult() throws Exception {
        assertThat(text(inFlight.get(20, TimeUnit.SECONDS))).isEqualTo("done");
    }

    @Test
    void requestAfterGoAwayGetsProcessUnavailable() {
        assertThat(rawAnswerAfterGoAway.requestId()).isEqualTo(7);
        assertThat(rawAnswerAfterGoAway.message()).isInstanceOf(Message.Error.class);
        assertThat(((Message.Error) rawAnswerAfterGoAway.message()).code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
    }

    @Test
    void closeSessionAfterGoAwayIsRefusedAsNotStarted() {
        assertThat(closeSessionAfterGoAway.requestId()).isEqualTo(8);
        assertThat(closeSessionAfterGoAway.message()).isInstanceOf(Message.Error.class);
        assertThat(((Message.Error) closeSessionAfterGoAway.message()).code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
        assertThat(closeSessionAfterGoAway.flags() & FrameCodec.FLAG_NOT_STARTED).isNotZero();
    }

    @Test
    void sdkRequestAfterGoAwayFailsWithProcessUnavailable() {
        assertThat(failureOf(sdkRequestAfterGoAway).code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
    }

    @Test
    void helloDuringTheDrainGetsProcessUnavailableAndTheConnectionCloses() {
        assertThat(helloDuringDrain.message()).isInstanceOf(Message.Error.class);
        assertThat(((Message.Error) helloDuringDrain.message()).code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
        assertThat(helloDuringDrainClosed).as("connection closed").isTrue();
    }

    @Test
    void connectionClosesOnceTheInFlightInvocationIsDone() {
        assertThat(rawClosedAfterDrain).isTrue();
    }

    @Test
    void processExitsWithCodeZero() {
        assertThat(exitCode).isZero();
    }
}
