package io.praas.controlplane;

import io.praas.client.ApplicationSpec;
import io.praas.client.Praas;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessInfo;
import io.praas.client.ProcessSession;
import io.praas.client.ProcessSpec;
import io.praas.client.ProcessStatus;
import io.praas.client.Resources;
import io.praas.codec.Codecs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A client from {@link Praas#connect} follows its process through a swap: it swaps the process back
 * in, reconnects, resumes its sessions and sends what waited, without the caller doing anything.
 */
class SdkReconnectTest {
    private static final String APP = "reconnect";

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Praas praas;

    @BeforeAll
    static void start() {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config());
        praas = Praas.builder().url(cp.apiUrl()).adminKey(ControlPlanes.ADMIN_KEY).build();
        praas.createApplication(ApplicationSpec.named(APP).withResources(new Resources(1, 256)));
        praas.uploadCode(APP, ControlPlanes.samplesJar());
    }

    /** Each test's processes go (the application has room for four). */
    @org.junit.jupiter.api.AfterEach
    void deleteProcesses() {
        for (ProcessInfo p : praas.listProcesses(APP)) {
            praas.deleteProcess(APP, p.id());
        }
    }

    @AfterAll
    static void stop() {
        if (praas != null) {
            praas.close();
        }
        if (cp != null) {
            cp.close();
        }
    }

    @Test
    void sessionOfAConnectedClientContinuesAfterTheProcessSwapsOutAndIn() {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("follow"));
        try (ProcessClient client = praas.connect(p)) {
            ProcessSession session = client.openSession();
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(1L);
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(2L);

            assertThat(praas.swapOut(APP, p.id()).status()).isEqualTo(ProcessStatus.SWAPPED_OUT);

            // The same client and session, with nothing done by the caller.
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(3L);
            assertThat(client.processId()).isEqualTo(p.id());
        }
        assertThat(praas.getProcess(APP, p.id()).status()).isEqualTo(ProcessStatus.ACTIVE);
    }

    @Test
    void aNewConnectionToASwappedOutProcessSwapsItIn() {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("dormant"));
        ProcessInfo out = praas.swapOut(APP, p.id());
        assertThat(out.status()).isEqualTo(ProcessStatus.SWAPPED_OUT);

        try (ProcessClient client = praas.connect(out)) {
            assertThat(client.invoke("echo", "awake", Codecs.utf8(), Codecs.utf8())).isEqualTo("awake");
            assertThat(client.processId()).isEqualTo(p.id());
        }
        assertThat(praas.getProcess(APP, p.id()).status()).isEqualTo(ProcessStatus.ACTIVE);
    }

    @Test
    void aSessionContinuesAfterTheIdlePolicySwapsItsProcessOut() throws Exception {
        String app = APP + "-idle";
        praas.createApplication(ApplicationSpec.named(app).withResources(new Resources(1, 256)).withIdleSeconds(2));
        praas.uploadCode(app, ControlPlanes.samplesJar());
        ProcessInfo p = praas.createProcess(app, ProcessSpec.named("napper"));
        try (ProcessClient client = praas.connect(p)) {
            ProcessSession session = client.openSession();
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(1L);

            ControlPlanes.eventually(java.time.Duration.ofSeconds(30), () -> praas.getProcess(app, p.id()).status(),
                    s -> s == ProcessStatus.SWAPPED_OUT, "swapped out by the idle policy");
            Thread.sleep(1500);
            assertThat(praas.getProcess(app, p.id()).status()).as("a client that sends nothing leaves it swapped out")
                    .isEqualTo(ProcessStatus.SWAPPED_OUT);

            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(2L);
        }
        assertThat(praas.getProcess(app, p.id()).transitions()).extracting(ProcessInfo.Transition::status)
                .containsSubsequence(ProcessStatus.SWAPPED_OUT, ProcessStatus.SWAPPING_IN, ProcessStatus.ACTIVE);
    }

    /**
     * A session of {@code client} that counted once, then was closed on the process by another
     * client, which was then swapped out: the client finds it gone when it swaps the process in.
     */
    private static ProcessSession countedThenDroppedAndSwappedOut(ProcessInfo p, ProcessClient client) {
        ProcessSession session = client.openSession();
        assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(1L);
        try (ProcessClient other = praas.connect(p)) {
            other.resumeSession(session.id()).close(); // drops it on the process
        }
        praas.swapOut(APP, p.id());
        return session;
    }

    @Test
    void everyRequestOfALostSessionMadeBeforeTheLossWasFoundFails() throws Exception {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("forgetful-twice"));
        try (ProcessClient client = praas.connect(p)) {
            ProcessSession session = countedThenDroppedAndSwappedOut(p, client);
            // Both wait for the swap-in, made before the client finds the session gone.
            java.util.concurrent.CompletableFuture<byte[]> first = session.invokeAsync("counter", new byte[0]);
            java.util.concurrent.CompletableFuture<byte[]> second = session.invokeAsync("counter", new byte[0]);

            for (java.util.concurrent.CompletableFuture<byte[]> f : List.of(first, second)) {
                Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> f.get(30, TimeUnit.SECONDS));
                assertThat(failure).isInstanceOf(java.util.concurrent.ExecutionException.class);
                assertThat(failure.getCause()).isInstanceOfSatisfying(io.praas.client.PraasException.class,
                        e -> assertThat(e.code()).isEqualTo(io.praas.protocol.ErrorCode.SESSION_NOT_FOUND));
            }
            // Asked after it was told: the session goes on, empty.
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(1L);
        }
    }

    @Test
    void aSessionTheProcessNoLongerHasAfterASwapFailsItsNextRequestInsteadOfStartingOverSilently() {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("forgetful"));
        try (ProcessClient client = praas.connect(p)) {
            ProcessSession session = countedThenDroppedAndSwappedOut(p, client);

            assertThatThrownBy(() -> session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class)))
                    .isInstanceOfSatisfying(io.praas.client.PraasException.class, e -> {
                        assertThat(e.code()).isEqualTo(io.praas.protocol.ErrorCode.SESSION_NOT_FOUND);
                        assertThat(e.detail()).contains(session.id()).contains("state is gone");
                    });
            // Told once; the session goes on, empty.
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(1L);
        }
    }

    @Test
    void requestsMadeWhileTheProcessIsSwappedOutWaitForItAndRun() {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("waiters"));
        try (ProcessClient client = praas.connect(p)) {
            ProcessSession session = client.openSession();
            session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class));
            praas.swapOut(APP, p.id());

            List<CompletableFuture<Long>> later = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                later.add(session.invokeAsync("counter", "", Codecs.utf8(), Codecs.json(Long.class)));
            }
            List<Long> counts = later.stream().map(CompletableFuture::join).toList();
            assertThat(counts).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(2, 21).boxed().toList());
        }
    }
}
