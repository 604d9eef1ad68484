package io.praas.process.e2e;

import io.praas.client.ProcessClient;
import io.praas.process.launch.LocalProcess;
import io.praas.protocol.Frame;
import io.praas.protocol.Message;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** PROTOCOL.md rule 4: many requests in flight on each of many connections, answered in any order. */
class MultiplexingTest {
    private static final int CONNECTIONS = 10;
    private static final int IN_FLIGHT_PER_CONNECTION = 100;
    private static LocalProcess process;

    @BeforeAll
    static void startProcess() {
        process = TestProcesses.startDev("--workers", "4");
    }

    @AfterAll
    static void stopProcess() {
        TestProcesses.stop(process);
    }

    /** One request of the test: which connection sent it, its payload, and the answer to come. */
    private record Sent(int connection, int index, byte[] payload, CompletableFuture<byte[]> answer) {
    }

    @Test
    void everyRequestOnManyConnectionsGetsItsOwnAnswer() throws Exception {
        Vertx vertx = Vertx.vertx();
        List<ProcessClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                clients.add(ProcessClient.builder().address("127.0.0.1", process.port()).vertx(vertx)
                        .timeout(TestProcesses.CLIENT_TIMEOUT).connect());
            }
            List<Sent> sent = new ArrayList<>();
            // Interleaved across connections, nothing awaited until all are in flight.
            for (int r = 0; r < IN_FLIGHT_PER_CONNECTION; r++) {
                for (int c = 0; c < CONNECTIONS; c++) {
                    byte[] payload = payload(c, r);
                    sent.add(new Sent(c, r, payload, clients.get(c).invokeAsync("echo", payload)));
                }
            }

            CompletableFuture.allOf(sent.stream().map(Sent::answer).toArray(CompletableFuture[]::new))
                    .get(60, TimeUnit.SECONDS);

            List<String> wrong = sent.stream()
                    .filter(s -> !Arrays.equals(s.answer().join(), s.payload()))
                    .map(s -> "connection " + s.connection() + " request " + s.index() + " got " + text(s.answer().join()))
                    .toList();
            assertThat(sent).hasSize(CONNECTIONS * IN_FLIGHT_PER_CONNECTION);
            assertThat(wrong).as("answers that are not their own request's payload").isEmpty();
        } finally {
            clients.forEach(ProcessClient::close);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** A distinct payload of varying length that names its request. */
    private static byte[] payload(int connection, int index) {
        return utf8("c" + connection + "-r" + index + "-" + "x".repeat((connection * 31 + index * 17) % 200));
    }

    @Test
    void aLaterRequestIsAnsweredWhileAnEarlierOneIsStillRunning() {
        // "meet" with n=2 cannot finish before a second "meet" runs: request 1 is held in flight for sure.
        String key = "held-" + System.nanoTime();
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(1, new Message.Invoke("meet", "", 10_000, utf8(key + ":2")));
            c.send(2, new Message.Invoke("echo", "", 10_000, utf8("fast")));

            Frame echo = c.read();
            assertThat(echo.requestId()).isEqualTo(2);
            assertThat(text(((Message.Result) echo.message()).output())).isEqualTo("fast");

            c.send(3, new Message.Invoke("meet", "", 10_000, utf8(key + ":2")));
            List<Long> released = List.of(c.read().requestId(), c.read().requestId());
            assertThat(released).containsExactlyInAnyOrder(1L, 3L);
        }
    }

    @Test
    void pingIsAnsweredWhileAnInvocationIsInFlight() throws Exception {
        String key = "held-" + System.nanoTime();
        try (ProcessClient client = TestProcesses.connect(process)) {
            CompletableFuture<byte[]> held = client.invokeAsync("meet", "", utf8(key + ":2"), Duration.ofSeconds(10));

            assertThat(client.ping(utf8("meanwhile"))).isEqualTo(utf8("meanwhile"));
            assertThat(held).as("the held invocation, before its partner arrives").isNotDone();

            client.invoke("meet", utf8(key + ":2"));
            assertThat(text(held.get(10, TimeUnit.SECONDS))).isEqualTo("met");
        }
    }
}
