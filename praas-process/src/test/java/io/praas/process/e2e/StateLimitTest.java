package io.praas.process.e2e;

import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.praas.process.e2e.TestProcesses.failureOf;
import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * --state-limit: process and session state together may not pass it; a write over it fails with
 * STATE_LIMIT_EXCEEDED and changes nothing. Each test leaves the state small again.
 */
class StateLimitTest {
    private static final int LIMIT_BYTES = 64 * 1024;
    private static LocalProcess process;
    private static ProcessClient client;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev("--state-limit", "64k");
        client = TestProcesses.connect(process);
    }

    @AfterAll
    static void stopProcess() {
        if (client != null) {
            client.close();
        }
        TestProcesses.stop(process);
    }

    private static String call(String function, String input) {
        return text(client.invoke(function, utf8(input)));
    }

    private static String uniqueKey(String prefix) {
        return prefix + "-" + System.nanoTime();
    }

    @Test
    void writeWithinTheLimitSucceeds() {
        String key = uniqueKey("small");

        assertThat(call("fill", key + ":1000")).isEqualTo("ok");

        call("fill", key + ":0");
    }

    @Test
    void writeOverTheLimitGetsStateLimitExceeded() {
        PraasException e = failureOf(() -> call("fill", uniqueKey("big") + ":" + (LIMIT_BYTES + 1)));

        assertThat(e.code()).isEqualTo(ErrorCode.STATE_LIMIT_EXCEEDED);
    }

    @Test
    void stateWrittenBeforeARefusedWriteIsIntact() {
        String kept = uniqueKey("kept");
        call("putState", kept + "=still here");

        failureOf(() -> call("fill", uniqueKey("big") + ":" + (LIMIT_BYTES + 1)));

        assertThat(call("getState", kept)).isEqualTo("still here");
    }

    @Test
    void refusedWriteStoresNothing() {
        String big = uniqueKey("big");

        failureOf(() -> call("fill", big + ":" + (LIMIT_BYTES + 1)));

        assertThat(call("getState", big)).as("value of the refused key").isEmpty();
    }

    @Test
    void sessionStateCountsTowardsTheProcesssLimit() {
        String half = uniqueKey("half");
        call("fill", half + ":" + (LIMIT_BYTES / 2 + 1024));
        try (ProcessSession session = client.openSession()) {
            PraasException e = failureOf(() -> session.invoke("append", utf8("x".repeat(LIMIT_BYTES / 2))));

            assertThat(e.code()).isEqualTo(ErrorCode.STATE_LIMIT_EXCEEDED);
        } finally {
            call("fill", half + ":0");
        }
    }

    @Test
    void spaceFreedByADeleteCanBeWrittenAgain() {
        String first = uniqueKey("first");
        String second = uniqueKey("second");
        call("fill", first + ":" + (LIMIT_BYTES * 3 / 4));
        call("fill", first + ":0");

        assertThat(call("fill", second + ":" + (LIMIT_BYTES * 3 / 4))).isEqualTo("ok");

        call("fill", second + ":0");
    }

    @Test
    void closedSessionsStateNoLongerCountsTowardsTheLimit() {
        String big = uniqueKey("after-close");
        ProcessSession session = client.openSession();
        session.invoke("append", utf8("x".repeat(LIMIT_BYTES / 2)));

        session.close();

        assertThat(call("fill", big + ":" + (LIMIT_BYTES * 3 / 4))).isEqualTo("ok");
        call("fill", big + ":0");
    }
}
