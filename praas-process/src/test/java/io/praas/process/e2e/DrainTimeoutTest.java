package io.praas.process.e2e;

import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * --drain-timeout: a stopping process fails what is still running when the drain timeout passes,
 * instead of waiting for it. The scenario runs once; each test checks one thing that was observed.
 */
class DrainTimeoutTest {
    private static final long SLEEP_MS = 20_000;
    private static LocalProcess process;
    private static RawConnection raw;
    private static Frame goAway;
    private static Frame inFlightAnswer;
    private static Duration inFlightAnsweredAfter;
    private static boolean closedAfterAnswer;
    private static Duration stopTook;

    @BeforeAll
    static void stopWhileALongInvocationIsInFlight() throws Exception {
        process = TestProcesses.startDev("--drain-timeout", "500ms");
        raw = RawConnection.open(process.port());
        raw.hello();
        raw.send(7, new Message.Invoke("sleep", "", 60_000, utf8(Long.toString(SLEEP_MS))));
        raw.assertServes(8); // the INVOKE before the PING was admitted

        long start = System.nanoTime();
        CompletableFuture<Integer> stopped = CompletableFuture.supplyAsync(() -> process.stop(Duration.ofSeconds(30)));
        goAway = raw.read();
        inFlightAnswer = raw.read();
        inFlightAnsweredAfter = Duration.ofNanos(System.nanoTime() - start);
        closedAfterAnswer = raw.closedByPeerWithin(Duration.ofSeconds(5));
        stopped.get(40, TimeUnit.SECONDS);
        stopTook = Duration.ofNanos(System.nanoTime() - start);
    }

    @AfterAll
    static void cleanUp() {
        if (raw != null) {
            raw.close();
        }
        TestProcesses.stop(process);
    }

    @Test
    void goAwayComesFirst() {
        assertThat(goAway.message()).isInstanceOf(Message.GoAway.class);
    }

    @Test
    void inFlightInvocationFailsWithProcessUnavailableWhenTheDrainTimeoutPasses() {
        assertThat(inFlightAnswer.requestId()).isEqualTo(7);
        assertThat(inFlightAnswer.message()).isInstanceOf(Message.Error.class);
        assertThat(((Message.Error) inFlightAnswer.message()).code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
    }

    @Test
    void inFlightInvocationIsAnsweredLongBeforeTheFunctionWouldFinish() {
        assertThat(inFlightAnsweredAfter).isLessThan(Duration.ofMillis(SLEEP_MS / 2));
    }

    @Test
    void connectionClosesAfterTheAnswer() {
        assertThat(closedAfterAnswer).isTrue();
    }

    @Test
    void stopDoesNotWaitForTheFunctionToFinish() {
        assertThat(stopTook).isLessThan(Duration.ofMillis(SLEEP_MS / 2));
    }
}
