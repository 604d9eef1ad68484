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

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.praas.process.e2e.TestProcesses.failureOf;
import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** INVOKE and its answers: results, function errors, timeouts (rule 6), request ids (rule 4), payload sizes. */
class InvocationTest {
    private static LocalProcess process;
    private static ProcessClient client;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev("--workers", "4");
        client = TestProcesses.connect(process);
    }

    @AfterAll
    static void stopProcess() {
        if (client != null) {
            client.close();
        }
        TestProcesses.stop(process);
    }

    private static void assertServes() {
        assertThat(text(client.invoke("echo", utf8("still serving")))).isEqualTo("still serving");
    }

    @Test
    void echoReturnsItsInput() {
        assertThat(text(client.invoke("echo", utf8("hello")))).isEqualTo("hello");
    }

    @Test
    void unknownFunctionGetsUnknownFunction() {
        PraasException e = failureOf(() -> client.invoke("noSuchFunction", utf8("x")));

        assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_FUNCTION);
    }

    @Test
    void emptyFunctionNameGetsInvalidArgument() {
        PraasException e = failureOf(() -> client.invoke("", utf8("x")));

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void throwingFunctionGetsFunctionFailedWithTheExceptionClassAndMessage() {
        PraasException e = failureOf(() -> client.invoke("fail", utf8("x")));

        assertThat(e.code()).isEqualTo(ErrorCode.FUNCTION_FAILED);
        assertThat(e.detail()).contains("java.lang.IllegalStateException").contains("boom");
    }

    @Test
    void processKeepsServingAfterAFunctionThrows() {
        failureOf(() -> client.invoke("fail", utf8("x")));

        assertServes();
    }

    @Test
    void invocationOverItsTimeoutGetsTimeoutQuickly() {
        long start = System.nanoTime();

        PraasException e = failureOf(client.invokeAsync("sleep", "", utf8("10000"), Duration.ofMillis(300)));

        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        // The client gives up on its own only 2 s after the timeout: an answer before that is the process's ERROR 12.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void processKeepsServingAfterATimeout() {
        failureOf(client.invokeAsync("sleep", "", utf8("10000"), Duration.ofMillis(300)));

        assertServes();
    }

    @Test
    void timedOutFunctionIsInterrupted() {
        String key = "interrupt-" + System.nanoTime();

        PraasException e = failureOf(client.invokeAsync("interruptible", "", utf8(key + ":10000"),
                Duration.ofMillis(300)));

        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        TestProcesses.awaitTrue("the function recorded its interruption", Duration.ofSeconds(5),
                () -> "interrupted".equals(text(client.invoke("getState", utf8(key)))));
    }

    @Test
    void invocationsWithoutSessionRunConcurrently() throws Exception {
        // Each "meet" returns only once both run at the same time; run one after the other, both would time out.
        String key = "meet-" + System.nanoTime();
        CompletableFuture<byte[]> first = client.invokeAsync("meet", "", utf8(key + ":2"), Duration.ofSeconds(5));
        CompletableFuture<byte[]> second = client.invokeAsync("meet", "", utf8(key + ":2"), Duration.ofSeconds(5));

        assertThat(text(first.get(10, TimeUnit.SECONDS))).isEqualTo("met");
        assertThat(text(second.get(10, TimeUnit.SECONDS))).isEqualTo("met");
    }

    @Test
    void duplicateRequestIdGetsDuplicateRequestIdAndTheFirstRequestStillAnswers() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(42, new Message.Invoke("sleep", "", 5000, utf8("500")));
            c.send(42, new Message.Invoke("sleep", "", 5000, utf8("500")));

            c.readError(42, ErrorCode.DUPLICATE_REQUEST_ID);
            Frame first = c.read();
            assertThat(first.requestId()).isEqualTo(42);
            assertThat(first.message()).isInstanceOf(Message.Result.class);
            assertThat(text(((Message.Result) first.message()).output())).isEqualTo("done");
        }
    }

    @Test
    void requestIdMayBeReusedOnceAnswered() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            for (String input : new String[] {"first", "second"}) {
                c.send(50, new Message.Invoke("echo", "", 5000, utf8(input)));

                Frame f = c.read();
                assertThat(f.requestId()).isEqualTo(50);
                assertThat(text(((Message.Result) f.message()).output())).isEqualTo(input);
            }
        }
    }

    @Test
    void invokeWithTimeoutZeroRunsWithTheProcessDefault() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(60, new Message.Invoke("echo", "", 0, utf8("default timeout")));

            Frame f = c.read();
            assertThat(f.requestId()).isEqualTo(60);
            assertThat(text(((Message.Result) f.message()).output())).isEqualTo("default timeout");
        }
    }

    @Test
    void payloadOf100KibEchoesBackByteIdentical() {
        byte[] payload = randomBytes(100 * 1024, 1);

        assertThat(client.invoke("echo", payload)).isEqualTo(payload);
    }

    @Test
    void payloadOf8MibEchoesBackByteIdentical() {
        byte[] payload = randomBytes(8 * 1024 * 1024, 2);

        assertThat(client.invoke("echo", payload)).isEqualTo(payload);
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
