package io.praas.process.e2e;

import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.praas.process.e2e.TestProcesses.failureOf;
import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** --session-idle-timeout: idle sessions expire with their state; sessions in use do not. */
class SessionExpiryTest {
    private static final Duration IDLE_TIMEOUT = Duration.ofMillis(500);
    private static LocalProcess process;
    private static ProcessClient client;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev("--session-idle-timeout", IDLE_TIMEOUT.toMillis() + "ms");
        client = TestProcesses.connect(process);
    }

    @AfterAll
    static void stopProcess() {
        if (client != null) {
            client.close();
        }
        TestProcesses.stop(process);
    }

    private static void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    @Test
    void idleSessionExpiresAndItsIdGetsSessionNotFound() throws InterruptedException {
        ProcessSession session = client.openSession();
        session.invoke("append", utf8("soon gone"));

        // An invocation would keep the session alive, so wait out the idle timeout (plus the sweep) without one.
        sleep(IDLE_TIMEOUT.multipliedBy(5).dividedBy(2));
        PraasException e = failureOf(() -> session.invoke("appended", new byte[0]));

        assertThat(e.code()).isEqualTo(ErrorCode.SESSION_NOT_FOUND);
    }

    @Test
    void expiredSessionIdReopensAsANewEmptySession() throws InterruptedException {
        ProcessSession session = client.openSession();
        session.invoke("append", utf8("soon gone"));

        sleep(IDLE_TIMEOUT.multipliedBy(5).dividedBy(2));
        ProcessSession reopened = client.resumeSession(session.id());

        assertThat(reopened.resumed()).isFalse();
        assertThat(text(reopened.invoke("appended", new byte[0]))).isEmpty();
    }

    @Test
    void sessionInUseDoesNotExpire() throws InterruptedException {
        ProcessSession session = client.openSession();

        // Used every 100 ms for two idle timeouts.
        for (int i = 0; i < 10; i++) {
            session.invoke("append", utf8(Integer.toString(i)));
            sleep(Duration.ofMillis(100));
        }

        assertThat(text(session.invoke("appended", new byte[0]))).isEqualTo("0,1,2,3,4,5,6,7,8,9");
    }
}
