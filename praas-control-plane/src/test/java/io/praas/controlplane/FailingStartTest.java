package io.praas.controlplane;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process that exits while it starts fails its create at once with the reason, whether it ran in
 * a JVM of its own (the first of its shape) or on a warm standby JVM, where it exits within
 * milliseconds of its launch (possibly before its start has recorded its handle); the allocation
 * timeout (60 s) is not waited out.
 */
class FailingStartTest {
    private static final String APP = "brittle";

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Api api;

    @BeforeAll
    static void start() {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config());
        api = Api.admin(cp);
        SwapApp.deploy(api, APP, Map.of("resources", ControlPlanes.SMALL, "limits", Map.of("maxProcesses", 4)));
    }

    @AfterAll
    static void stop() {
        if (cp != null) {
            cp.close();
        }
    }

    @Test
    void aProcessThatExitsWhileStartingFailsItsCreateAtOnceInItsOwnJvmAndOnAStandby() {
        for (int i = 1; i <= 3; i++) {
            long t0 = System.nanoTime();
            Api.Reply r = api.post("/v1/applications/" + APP + "/processes", Map.of("name", "doomed-" + i));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

            assertThat(r.status()).as("doomed-%d: %s", i, r).isEqualTo(503);
            assertThat(r.json().path("error").asText()).isEqualTo("PROCESS_UNAVAILABLE");
            assertThat(r.json().path("message").asText()).contains("exited");
            assertThat(tookMs).as("doomed-%d failed after %d ms", i, tookMs).isLessThan(20_000);
            if (i == 1) {
                awaitWarmStandby(); // the next ones run on standby JVMs
            }
        }
        // A process that can start still does, on a standby too.
        awaitWarmStandby();
        Api.Reply fine = api.post("/v1/applications/" + APP + "/processes", Map.of("name", "fine-1"));
        assertThat(fine.status()).as("%s", fine).isEqualTo(201);
        assertThat(api.invoke(APP, "fragile", "?process=fine-1", new byte[0]).text()).isEqualTo("fine");
    }

    @Test
    void aJournaledProcessThatExitsWhileStartingFailsItsCreateAtOnceToo() {
        SwapApp.deploy(api, "brittle-journaled", Map.of("resources", ControlPlanes.SMALL, "durability", "journal"));
        long t0 = System.nanoTime();
        Api.Reply r = api.post("/v1/applications/brittle-journaled/processes", Map.of("name", "doomed-j"));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        assertThat(r.status()).as("%s", r).isEqualTo(503);
        assertThat(r.json().path("message").asText()).contains("exited");
        assertThat(tookMs).as("failed after %d ms", tookMs).isLessThan(20_000);
    }

    @Test
    void aSwapInWhoseProcessExitsWhileStartingLeavesItSwappedOutForAnotherTry() throws Exception {
        String id = "phoenix-" + System.nanoTime();
        Path marker = io.praas.controlplane.swapapp.Fragile.doomedMarker(id);
        try {
            swappedOutAndDoomed(id, "ash=warm");

            Api.Reply failed = api.post("/v1/applications/" + APP + "/processes/" + id + "/swapin", null);

            Api.assertJsonError(failed, 502, "SWAP_FAILED");
            assertThat(failed.json().path("message").asText()).contains("stays SWAPPED_OUT").contains("exited");
            Api.Reply record = api.get("/v1/applications/" + APP + "/processes/" + id);
            assertThat(record.json().path("status").asText()).isEqualTo("SWAPPED_OUT");
            assertThat(record.json().path("failure").asText()).startsWith("swap-in failed");
            assertThat(record.json().path("snapshot").path("generation").asLong()).isEqualTo(1);

            Files.delete(marker);
            Api.Reply in = api.post("/v1/applications/" + APP + "/processes/" + id + "/swapin", null);
            assertThat(in.status()).as("%s", in).isEqualTo(200);
            assertThat(api.invoke(APP, "getState", "?process=" + id, "ash".getBytes()).text()).isEqualTo("warm");
        } finally {
            Files.deleteIfExists(marker);
            api.delete("/v1/applications/" + APP + "/processes/" + id);
        }
    }

    @Test
    void concurrentSwapInsOfAProcessThatCannotStartBothFailAndLeaveItSwappedOut() throws Exception {
        String id = "daedalus-" + System.nanoTime();
        Path marker = io.praas.controlplane.swapapp.Fragile.doomedMarker(id);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            swappedOutAndDoomed(id, "wings=wax");

            java.util.List<java.util.concurrent.Future<Api.Reply>> both = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                both.add(pool.submit(() -> api.post("/v1/applications/" + APP + "/processes/" + id + "/swapin", null)));
            }
            for (java.util.concurrent.Future<Api.Reply> f : both) {
                Api.assertJsonError(f.get(60, TimeUnit.SECONDS), 502, "SWAP_FAILED");
            }
            Api.Reply record = api.get("/v1/applications/" + APP + "/processes/" + id);
            assertThat(record.json().path("status").asText()).isEqualTo("SWAPPED_OUT");

            Files.delete(marker);
            assertThat(api.post("/v1/applications/" + APP + "/processes/" + id + "/swapin", null).status()).isEqualTo(200);
            assertThat(api.invoke(APP, "getState", "?process=" + id, "wings".getBytes()).text()).isEqualTo("wax");
        } finally {
            pool.shutdownNow();
            Files.deleteIfExists(marker);
            api.delete("/v1/applications/" + APP + "/processes/" + id);
        }
    }

    @Test
    void aConnectedClientWhoseProcessCannotSwapInFailsItsRequestAfterOneTry() throws Exception {
        String id = "icarus-" + System.nanoTime();
        Path marker = io.praas.controlplane.swapapp.Fragile.doomedMarker(id);
        try (io.praas.client.Praas praas = io.praas.client.Praas.builder().url(cp.apiUrl())
                .adminKey(ControlPlanes.ADMIN_KEY).build()) {
            io.praas.client.ProcessInfo p = praas.createProcess(APP, io.praas.client.ProcessSpec.named(id));
            try (io.praas.client.ProcessClient client = praas.connect(p)) {
                assertThat(new String(client.invoke("fragile", new byte[0]))).isEqualTo("fine");
                praas.swapOut(APP, id);
                Files.createFile(marker); // its next incarnation cannot load its functions

                Throwable failed = org.assertj.core.api.Assertions.catchThrowable(
                        () -> client.invoke("fragile", new byte[0]));

                assertThat(failed).isInstanceOfSatisfying(io.praas.client.PraasException.class, e -> {
                    assertThat(e.code()).isEqualTo(io.praas.protocol.ErrorCode.PROCESS_UNAVAILABLE);
                    assertThat(e.detail()).contains("could not be swapped back in").contains("SWAPPED_OUT");
                });
                // A request soon after it fails at once, without another swap-in (each would start a process).
                Thread.sleep(300);
                Throwable soon = org.assertj.core.api.Assertions.catchThrowable(
                        () -> client.invoke("fragile", new byte[0]));
                assertThat(soon).isInstanceOfSatisfying(io.praas.client.PraasException.class, e ->
                        assertThat(e.detail()).contains("could not be swapped back in").contains("tries again"));
                io.praas.client.ProcessInfo after = praas.getProcess(APP, id);
                assertThat(after.status()).isEqualTo(io.praas.client.ProcessStatus.SWAPPED_OUT);
                assertThat(after.transitions()).filteredOn(t -> t.status() == io.praas.client.ProcessStatus.SWAPPING_IN)
                        .as("one swap-in tried, not one per reconnect attempt or request").hasSize(1);

                // Once the process can start again, the same client's requests swap it in (after the back-off).
                Files.delete(marker);
                String answer = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (answer == null && System.nanoTime() < deadline) {
                    try {
                        answer = new String(client.invoke("fragile", new byte[0]));
                    } catch (io.praas.client.PraasException backingOff) {
                        Thread.sleep(200);
                    }
                }
                assertThat(answer).isEqualTo("fine");
            }
        } finally {
            Files.deleteIfExists(marker);
            api.delete("/v1/applications/" + APP + "/processes/" + id);
        }
    }

    /**
     * Creates process {@code id} with {@code keyValue} in its state, swaps it out, and dooms its next
     * incarnation (it cannot load its functions) until the test deletes its marker.
     */
    private static void swappedOutAndDoomed(String id, String keyValue) throws java.io.IOException {
        assertThat(api.post("/v1/applications/" + APP + "/processes", Map.of("name", id)).status()).isEqualTo(201);
        assertThat(api.invoke(APP, "putState", "?process=" + id, keyValue.getBytes()).text()).isEqualTo("ok");
        Api.Reply out = api.post("/v1/applications/" + APP + "/processes/" + id + "/swap", null);
        assertThat(out.status()).as("%s", out).isEqualTo(200);
        Files.createFile(io.praas.controlplane.swapapp.Fragile.doomedMarker(id));
    }

    /**
     * The ordering that a process on a standby makes possible, forced: the backend reports the exit
     * before its start has returned the handle (a backend that "starts" processes that end at once).
     * Without the start looking for exits it missed, the create waits out the allocation timeout.
     */
    @Test
    void anExitReportedBeforeTheStartReturnedItsHandleFailsTheCreateAtOnce(@TempDir Path dir) {
        java.util.List<io.praas.backend.ProcessBackend.ExitListener> listeners =
                new java.util.concurrent.CopyOnWriteArrayList<>();
        io.praas.backend.ProcessBackend exitsAtOnce = new StubBackend("exits-at-once") {
            @Override
            public java.util.concurrent.CompletionStage<io.praas.backend.BackendHandle> start(io.praas.backend.LaunchSpec spec) {
                io.praas.backend.BackendHandle h = new io.praas.backend.BackendHandle(name(), spec.processId(), Map.of());
                listeners.forEach(l -> l.exited(spec.application(), spec.processId(), h)); // before the caller has it
                return java.util.concurrent.CompletableFuture.completedFuture(h);
            }

            @Override
            public void onExit(ExitListener listener) {
                listeners.add(listener);
            }
        };
        try (ControlPlane node = ControlPlane.start(ControlPlanes.options(dir).config(), exitsAtOnce)) {
            Api admin = Api.admin(node);
            SwapApp.deploy(admin, APP, Map.of("resources", ControlPlanes.SMALL));
            long t0 = System.nanoTime();
            Api.Reply r = admin.post("/v1/applications/" + APP + "/processes", Map.of("name", "gone-1"));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

            assertThat(r.status()).as("%s", r).isEqualTo(503);
            assertThat(r.json().path("message").asText()).contains("the process exited");
            assertThat(tookMs).as("failed after %d ms", tookMs).isLessThan(10_000);
        }
    }

    /**
     * A process deleted while its backend is still starting it, then created again under its name:
     * the first start, once its backend answers, stops what it started and answers 409 at once,
     * instead of waiting for a registration until its allocation timeout.
     */
    @Test
    void aStartWhoseProcessWasDeletedMeanwhileStopsWhatItBeganAndAnswersConflict(@TempDir Path dir) throws Exception {
        java.util.List<java.util.concurrent.CompletableFuture<io.praas.backend.BackendHandle>> starts =
                new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.List<io.praas.backend.BackendHandle> stopped = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.praas.backend.ProcessBackend slow = new StubBackend("starts-when-told") {
            @Override
            public java.util.concurrent.CompletionStage<io.praas.backend.BackendHandle> start(io.praas.backend.LaunchSpec spec) {
                java.util.concurrent.CompletableFuture<io.praas.backend.BackendHandle> f =
                        new java.util.concurrent.CompletableFuture<>();
                starts.add(f);
                return f;
            }

            @Override
            public java.util.concurrent.CompletionStage<Void> stop(io.praas.backend.BackendHandle handle) {
                stopped.add(handle);
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }
        };
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (ControlPlane node = ControlPlane.start(ControlPlanes.options(dir).config(), slow)) {
            Api admin = Api.admin(node);
            SwapApp.deploy(admin, APP, Map.of("resources", ControlPlanes.SMALL));
            String processes = "/v1/applications/" + APP + "/processes";
            java.util.concurrent.Future<Api.Reply> first = callers.submit(() -> admin.post(processes, Map.of("name", "p-1")));
            ControlPlanes.eventually(java.time.Duration.ofSeconds(30), starts::size, n -> n == 1, "the first start");
            assertThat(admin.delete(processes + "/p-1").status()).isEqualTo(204);
            java.util.concurrent.Future<Api.Reply> second = callers.submit(() -> admin.post(processes, Map.of("name", "p-1")));
            ControlPlanes.eventually(java.time.Duration.ofSeconds(30), starts::size, n -> n == 2, "the second start");

            io.praas.backend.BackendHandle h1 = new io.praas.backend.BackendHandle(slow.name(), "p-1", Map.of("start", "1"));
            starts.get(0).complete(h1);

            Api.Reply r = first.get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as("%s", r).isEqualTo(409);
            assertThat(stopped).containsExactly(h1);
            assertThat(admin.get(processes + "/p-1").json().path("status").asText())
                    .as("the second create's record, untouched").isEqualTo("ALLOCATING");

            // The second start ends the same way once its process is deleted.
            assertThat(admin.delete(processes + "/p-1").status()).isEqualTo(204);
            io.praas.backend.BackendHandle h2 = new io.praas.backend.BackendHandle(slow.name(), "p-1", Map.of("start", "2"));
            starts.get(1).complete(h2);
            assertThat(second.get(30, TimeUnit.SECONDS).status()).isEqualTo(409);
            assertThat(stopped).containsExactly(h1, h2);
        } finally {
            callers.shutdownNow();
        }
    }

    /**
     * A journal restart first stops the incarnation it replaces (up to 30 s of SIGTERM grace). A
     * deletion meanwhile answered 204; the restart then started a process for the deleted id.
     */
    @Test
    void aJournalRestartOfAProcessDeletedWhileItStoppedTheOldOneStartsNothing(@TempDir Path dir) throws Exception {
        io.praas.controlplane.backend.LocalBackend local = new io.praas.controlplane.backend.LocalBackend(
                new io.praas.backend.Resources(2, 4096), dir.resolve("logs"),
                io.praas.controlplane.backend.LocalBackend.defaultClasspath(), 0);
        java.util.concurrent.atomic.AtomicInteger starts = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch stopping = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        io.praas.backend.ProcessBackend slowStops = new io.praas.backend.ProcessBackend() {
            @Override
            public String name() {
                return local.name();
            }

            @Override
            public io.praas.backend.Resources caps() {
                return local.caps();
            }

            @Override
            public java.util.concurrent.CompletionStage<io.praas.backend.BackendHandle> start(io.praas.backend.LaunchSpec spec) {
                starts.incrementAndGet();
                return local.start(spec);
            }

            @Override
            public java.util.concurrent.CompletionStage<Void> stop(io.praas.backend.BackendHandle handle) {
                stopping.countDown();
                return local.stop(handle).thenRunAsync(() -> {
                    try {
                        release.await(60, TimeUnit.SECONDS); // as an incarnation that takes its grace period
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }

            @Override
            public boolean keepsJournals() {
                return true;
            }

            @Override
            public boolean takesInlineSnapshots() {
                return local.takesInlineSnapshots();
            }

            @Override
            public void onExit(ExitListener listener) {
                local.onExit(listener);
            }

            @Override
            public void close() {
                local.close();
            }
        };
        try (ControlPlane node = ControlPlane.start(ControlPlanes.options(dir).config(), slowStops)) {
            Api admin = Api.admin(node);
            String app = "restarted";
            SwapApp.deploy(admin, app, Map.of("resources", ControlPlanes.SMALL, "durability", "journal"));
            String processes = "/v1/applications/" + app + "/processes";
            assertThat(admin.post(processes, Map.of("name", "p-1")).status()).isEqualTo(201);
            ControlPlanes.osProcess(node, app, "p-1").destroyForcibly(); // lost: restarted from its journal

            assertThat(stopping.await(30, TimeUnit.SECONDS)).as("the restart stops the old incarnation").isTrue();
            assertThat(admin.delete(processes + "/p-1").status()).isEqualTo(204);
            release.countDown();

            Thread.sleep(3_000); // the restart goes on from here at once
            assertThat(starts.get()).as("starts: the create's only").isEqualTo(1);
            assertThat(admin.get(processes + "/p-1").status()).isEqualTo(404);
        } finally {
            release.countDown();
        }
    }

    @Test
    void aStoppingNodeSwapsNothingInForAnotherNodeToFindFailed(@TempDir Path dir) throws Exception {
        try (ControlPlane node = ControlPlane.start(ControlPlanes.options(dir).config())) {
            Api admin = Api.admin(node);
            SwapApp.deploy(admin, APP, Map.of("resources", ControlPlanes.SMALL));
            String id = ControlPlanes.createProcess(admin, APP).json().path("id").asText();
            assertThat(admin.post("/v1/applications/" + APP + "/processes/" + id + "/swap", null).status()).isEqualTo(200);

            node.lifecycle().shutdown(); // the node stops; a process of it asks for its peer

            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> node.lifecycle().swapIn(APP, id));
            assertThat(refused).isInstanceOfSatisfying(ControlPlaneException.class, e ->
                    assertThat(e.code()).isEqualTo(ControlPlaneException.Code.PROCESS_UNAVAILABLE));
            assertThat(node.lifecycle().process(APP, id).status()).as("left for another node")
                    .isEqualTo(io.praas.controlplane.registry.ProcessStatus.SWAPPED_OUT);
        }
    }

    /** Waits until the local backend has a warm standby JVM (its ready file in the log directory). */
    private static void awaitWarmStandby() {
        Path logs = dataDir.resolve("logs");
        ControlPlanes.eventually(java.time.Duration.ofSeconds(60), () -> {
            try (var files = Files.list(logs)) {
                return files.anyMatch(f -> f.getFileName().toString().endsWith(".ready"));
            } catch (java.io.IOException e) {
                return false; // no log directory yet
            }
        }, warm -> warm, "a warm standby JVM");
    }
}
