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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.praas.process.e2e.TestProcesses.failureOf;
import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** A process with one worker and room for one queued invocation: nested calls and admission control. */
class SingleWorkerTest {
    private static LocalProcess process;
    private static ProcessClient client;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev("--workers", "1", "--queue-capacity", "1");
        client = TestProcesses.connect(process);
    }

    @AfterAll
    static void stopProcess() {
        if (client != null) {
            client.close();
        }
        TestProcesses.stop(process);
    }

    /** Takes both slots (the worker and the queue) with sleeps sent ahead of anything else on the connection. */
    private static List<CompletableFuture<byte[]>> takeBothSlots() {
        return List.of(
                client.invokeAsync("sleep", "", utf8("600"), Duration.ofSeconds(10)),
                client.invokeAsync("sleep", "", utf8("600"), Duration.ofSeconds(10)));
    }

    private static void awaitDone(List<CompletableFuture<byte[]>> holders) throws Exception {
        for (CompletableFuture<byte[]> h : holders) {
            assertThat(text(h.get(15, TimeUnit.SECONDS))).isEqualTo("done");
        }
    }

    @Test
    void nestedInvokeCompletesWithOneWorker() {
        assertThat(text(client.invoke("nested", utf8("inner")))).isEqualTo("inner");
    }

    @Test
    void nestedInvokeInASessionCompletesWithOneWorker() {
        try (ProcessSession session = client.openSession()) {
            assertThat(text(session.invoke("nested", utf8("inner")))).isEqualTo("inner");
        }
    }

    @Test
    void invokeBeyondWorkersAndQueueGetsOverloaded() throws Exception {
        List<CompletableFuture<byte[]>> holders = takeBothSlots();

        PraasException e = failureOf(() -> client.invoke("echo", utf8("one too many")));

        assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
        assertThat(e.retryable()).isTrue();
        awaitDone(holders);
    }

    @Test
    void overloadedProcessServesAgainOnceItsSlotsFree() throws Exception {
        List<CompletableFuture<byte[]>> holders = takeBothSlots();
        failureOf(() -> client.invoke("echo", utf8("one too many")));

        awaitDone(holders);

        assertThat(text(client.invoke("echo", utf8("served again")))).isEqualTo("served again");
    }
}
