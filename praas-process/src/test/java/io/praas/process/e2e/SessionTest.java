package io.praas.process.e2e;

import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.process.launch.LocalProcess;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static io.praas.process.e2e.TestProcesses.failureOf;
import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/** Sessions (PROTOCOL.md rule 5): opening, resuming, closing, their state, and their serial order. */
class SessionTest {
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

    private static String appended(ProcessSession session) {
        return text(session.invoke("appended", new byte[0]));
    }

    private static String uniqueId(String prefix) {
        return prefix + "-" + System.nanoTime();
    }

    @Test
    void invocationsOfEachSessionRunOneAtATimeInTheOrderSent() throws Exception {
        int sessionsPerClient = 3;
        int perSession = 100;
        try (ProcessClient second = TestProcesses.connect(process)) {
            List<ProcessSession> sessions = new ArrayList<>();
            for (ProcessClient c : List.of(client, second)) {
                for (int i = 0; i < sessionsPerClient; i++) {
                    sessions.add(c.openSession());
                }
            }
            List<List<CompletableFuture<byte[]>>> sizes = new ArrayList<>();
            sessions.forEach(s -> sizes.add(new ArrayList<>()));
            // Round-robin over the sessions, nothing awaited until every append is in flight.
            for (int n = 0; n < perSession; n++) {
                for (int s = 0; s < sessions.size(); s++) {
                    sizes.get(s).add(sessions.get(s).invokeAsync("append", utf8("s" + s + "-" + n)));
                }
            }
            CompletableFuture.allOf(sizes.stream().flatMap(List::stream).toArray(CompletableFuture[]::new))
                    .get(60, TimeUnit.SECONDS);

            List<String> expectedSizes = IntStream.rangeClosed(1, perSession).mapToObj(Integer::toString).toList();
            for (int s = 0; s < sessions.size(); s++) {
                int session = s;
                List<String> expected = IntStream.range(0, perSession).mapToObj(n -> "s" + session + "-" + n).toList();
                assertThat(sizes.get(s)).extracting(f -> text(f.join()))
                        .as("list sizes returned by the appends of session %d, in the order sent", s)
                        .containsExactlyElementsOf(expectedSizes);
                assertThat(appended(sessions.get(s)))
                        .as("state of session %d", s)
                        .isEqualTo(String.join(",", expected));
            }
        }
    }

    @Test
    void invocationThatTimesOutInItsSessionsQueueNeverRuns() throws Exception {
        ProcessSession session = client.openSession();
        CompletableFuture<byte[]> ahead = session.invokeAsync("sleep", utf8("800"), Duration.ofSeconds(10));

        PraasException e = failureOf(session.invokeAsync("append", utf8("too late"), Duration.ofMillis(200)));

        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(text(ahead.get(10, TimeUnit.SECONDS))).isEqualTo("done");
        assertThat(appended(session)).as("state after the queue drained").isEmpty();
    }

    @Test
    void sessionsDoNotSeeEachOthersState() {
        ProcessSession a = client.openSession();
        ProcessSession b = client.openSession();

        a.invoke("append", utf8("only-in-a"));
        b.invoke("append", utf8("only-in-b"));

        assertThat(appended(a)).isEqualTo("only-in-a");
        assertThat(appended(b)).isEqualTo("only-in-b");
    }

    @Test
    void openSessionWithoutIdCreatesANewSessionEachTime() {
        ProcessSession first = client.openSession();
        ProcessSession second = client.openSession();

        assertThat(first.resumed()).isFalse();
        assertThat(second.resumed()).isFalse();
        assertThat(first.id()).isNotEmpty().isNotEqualTo(second.id());
    }

    @Test
    void openSessionWithAnUnknownIdCreatesItUnderThatId() {
        String id = uniqueId("chosen");

        ProcessSession session = client.resumeSession(id);

        assertThat(session.id()).isEqualTo(id);
        assertThat(session.resumed()).isFalse();
        assertThat(appended(session)).isEmpty();
    }

    @Test
    void invokeNamingASessionThatWasNeverOpenedGetsSessionNotFound() {
        PraasException e = failureOf(client.invokeAsync("echo", uniqueId("never-opened"), utf8("x"),
                TestProcesses.CLIENT_TIMEOUT));

        assertThat(e.code()).isEqualTo(ErrorCode.SESSION_NOT_FOUND);
    }

    @Test
    void invokeNamingAnUnknownSessionDoesNotCreateIt() {
        String id = uniqueId("not-created");
        failureOf(client.invokeAsync("append", id, utf8("x"), TestProcesses.CLIENT_TIMEOUT));

        ProcessSession opened = client.resumeSession(id);

        assertThat(opened.resumed()).isFalse();
        assertThat(appended(opened)).isEmpty();
    }

    @Test
    void closeSessionDropsItsState() {
        String id = uniqueId("closed");
        ProcessSession session = client.resumeSession(id);
        session.invoke("append", utf8("forgotten"));

        session.close();
        ProcessSession reopened = client.resumeSession(id);

        assertThat(reopened.resumed()).isFalse();
        assertThat(appended(reopened)).isEmpty();
    }

    @Test
    void invokeNamingAClosedSessionGetsSessionNotFound() {
        ProcessSession session = client.openSession();
        session.close();

        PraasException e = failureOf(() -> session.invoke("echo", utf8("x")));

        assertThat(e.code()).isEqualTo(ErrorCode.SESSION_NOT_FOUND);
    }

    @Test
    void closeSessionIsAnsweredWithOk() {
        ProcessSession session = client.openSession();
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(5, new Message.CloseSession(session.id()));

            assertThat(c.read().message()).isInstanceOf(Message.Ok.class);
        }
    }

    @Test
    void closingASessionThatDoesNotExistGetsSessionNotFound() {
        try (RawConnection c = RawConnection.open(process.port())) {
            c.hello();
            c.send(6, new Message.CloseSession(uniqueId("unknown")));

            c.readError(6, ErrorCode.SESSION_NOT_FOUND);
        }
    }

    @Test
    void sessionResumedOverANewConnectionKeepsItsState() {
        String id;
        try (ProcessClient first = TestProcesses.connect(process)) {
            ProcessSession session = first.openSession();
            session.invoke("append", utf8("kept"));
            id = session.id();
        }

        try (ProcessClient second = TestProcesses.connect(process)) {
            ProcessSession resumed = second.resumeSession(id);

            assertThat(resumed.resumed()).isTrue();
            assertThat(appended(resumed)).isEqualTo("kept");
        }
    }

    @Test
    void functionUsingSessionStateWithoutASessionFails() {
        PraasException e = failureOf(() -> client.invoke("append", utf8("no session")));

        assertThat(e.code()).isEqualTo(ErrorCode.FUNCTION_FAILED);
        assertThat(e.detail()).contains("IllegalStateException");
    }
}
