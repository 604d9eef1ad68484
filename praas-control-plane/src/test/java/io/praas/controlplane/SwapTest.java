package io.praas.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.controlplane.registry.ProcessRecord;
import io.praas.process.storage.S3Settings;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.GoAwayReason;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.praas.controlplane.Api.assertJsonError;
import static io.praas.controlplane.ControlPlanes.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Swapping end to end: real control-plane nodes (two, in one Hazelcast cluster), real OS processes
 * of the swap test application, and snapshots in a real S3 API (an S3Proxy this test starts, so it
 * can stop it). A swap-out through the REST API or by the idle policy writes process state and
 * every session to object storage; a swap-in through the API or on demand by an invocation brings
 * them back under the same process id; a failing store, a corrupt snapshot and two nodes swapping
 * the same process at once lose nothing.
 */
class SwapTest {
    private static final String ACCESS_KEY = "praas-swap-test";
    private static final String SECRET_KEY = "praas-swap-test-secret";
    private static final String BUCKET = "praas";
    /** Small processes, several at a time. */
    private static final String KEEPER = "keeper";
    /** Processes with room for 100 MiB of state. */
    private static final String HOARD = "hoard";
    /** Processes swapped out after 2 s without invocations. */
    private static final String SLEEPY = "sleepy";
    /** Idle for an hour before the downscaler swaps it out: it never does by itself in a test. */
    private static final String DOZY = "dozy";
    private static final int MIB = 1024 * 1024;
    /** How long a swapping process lets in-flight invocations finish (the default is 10 s). */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(4);

    @TempDir
    static Path dataDir;
    private static Path blobs;
    private static int storePort;
    private static S3Proxy store;
    private static S3Client s3;
    private static ControlPlane a;
    private static ControlPlane b;
    private static Api apiA;
    private static Api apiB;

    @BeforeAll
    static void startStoreAndTwoNodes() throws Exception {
        blobs = dataDir.resolve("s3");
        store = startStore(0);
        storePort = store.getPort();
        URI endpoint = URI.create("http://127.0.0.1:" + storePort);
        s3 = new S3Settings(endpoint, "us-east-1", BUCKET, ACCESS_KEY, SECRET_KEY).client();

        ControlPlanes.Options optionsA = sharedStore(ControlPlanes.options(dataDir.resolve("a")), endpoint);
        optionsA.nodeName = "swap-a";
        optionsA.join = List.of("127.0.0.1:" + optionsA.hazelcastPort);
        a = ControlPlane.start(withDrainTimeout(optionsA.config()));
        ControlPlanes.Options optionsB = sharedStore(ControlPlanes.options(dataDir.resolve("b")), endpoint);
        optionsB.nodeName = "swap-b";
        optionsB.clusterName = optionsA.clusterName;
        optionsB.hazelcastPort = optionsA.hazelcastPort + 1;
        optionsB.join = List.of(a.clusterAddress());
        b = ControlPlane.start(withDrainTimeout(optionsB.config()));
        apiA = Api.admin(a);
        apiB = Api.admin(b);

        SwapApp.deploy(apiA, KEEPER, Map.of("resources", ControlPlanes.SMALL, "limits", Map.of("maxProcesses", 8)));
        SwapApp.deploy(apiA, HOARD, Map.of("resources", Map.of("vcpu", 1, "memoryMiB", 1024),
                "limits", Map.of("maxProcesses", 1, "stateLimitMiB", 256)));
        SwapApp.deploy(apiA, SLEEPY, Map.of("resources", ControlPlanes.SMALL, "swap", Map.of("idleSeconds", 2)));
        SwapApp.deploy(apiA, DOZY, Map.of("resources", ControlPlanes.SMALL, "swap", Map.of("idleSeconds", 3600)));
    }

    private static ControlPlaneConfig withDrainTimeout(ControlPlaneConfig config) {
        return config.with(Map.of("swapDrainTimeout", DRAIN_TIMEOUT));
    }

    private static ControlPlanes.Options sharedStore(ControlPlanes.Options o, URI endpoint) {
        o.s3Endpoint = endpoint;
        o.s3AccessKey = ACCESS_KEY;
        o.s3SecretKey = SECRET_KEY;
        return o;
    }

    @AfterAll
    static void stopAll() {
        if (cycle != null) {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + cycle.id());
        }
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
        if (s3 != null) {
            s3.close();
        }
        stopStore();
    }

    // ---- one process, swapped out and in once through the REST API, that several tests look at

    /** What the shared swap cycle saw. */
    private record Cycle(String id, long pidBefore, Map<String, Long> sessionCounts, Api.Reply swapOutReply,
                         JsonNode recordWhileSwapped, List<String> objectsWhileSwapped, Api.Reply swapInReply) {
    }

    private static Cycle cycle;
    private static AssertionError cycleFailed;

    /**
     * A KEEPER process with process state and three sessions (counts 1, 2 and 3), swapped out and in
     * through the REST API, once for the class.
     */
    private static synchronized Cycle cycle() throws Exception {
        if (cycle != null) {
            return cycle;
        }
        if (cycleFailed != null) {
            throw cycleFailed; // once for the class: no new process per test
        }
        try {
            cycle = runCycle();
            return cycle;
        } catch (Exception | AssertionError e) {
            cycleFailed = new AssertionError("the shared swap cycle failed: " + e, e);
            throw cycleFailed;
        }
    }

    private static Cycle runCycle() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, KEEPER);
        String id = created.json().path("id").asText();
        long pid = ControlPlanes.osProcess(a, KEEPER, id).pid();
        Map<String, Long> counts = new LinkedHashMap<>();
        try (ProcessClient client = ControlPlanes.connect(created)) {
            assertThat(text(client.invoke("putState", utf8("color=teal")))).isEqualTo("ok");
            for (int n = 1; n <= 3; n++) {
                ProcessSession session = client.openSession(); // not closed: closing drops its state
                for (int i = 0; i < n; i++) {
                    session.invoke("count", new byte[0]);
                }
                counts.put(session.id(), (long) n);
            }
        }
        Api.Reply out = swapOut(apiA, KEEPER, id);
        JsonNode swapped = record(apiB, KEEPER, id);
        List<String> objects = snapshotObjects(KEEPER, id);
        Api.Reply in = swapIn(apiA, KEEPER, id);
        return new Cycle(id, pid, counts, out, swapped, objects, in);
    }

    @Test
    void swapOutAnswersSwappedOutWithTheSnapshotsGenerationLocationSizeAndDuration() throws Exception {
        Cycle c = cycle();

        assertThat(c.swapOutReply().status()).as("%s", c.swapOutReply()).isEqualTo(200);
        JsonNode p = c.swapOutReply().json();
        assertThat(p.path("id").asText()).isEqualTo(c.id());
        assertThat(p.path("status").asText()).isEqualTo("SWAPPED_OUT");
        assertThat(p.path("endpoint").isNull()).isTrue();
        JsonNode snapshot = p.path("snapshot");
        assertThat(snapshot.path("generation").asLong()).isEqualTo(1);
        assertThat(snapshot.path("manifestKey").asText())
                .isEqualTo("swaps/" + KEEPER + "/" + c.id() + "/gen-000000000001/manifest.json");
        assertThat(snapshot.path("snapshotBytes").asLong()).isPositive();
        assertThat(snapshot.path("stateBytes").asLong()).isPositive();
        assertThat(snapshot.path("durationMs").isIntegralNumber()).isTrue();
        assertThat(snapshot.path("durationMs").asLong()).isNotNegative();
        assertThat(snapshot.path("at").asText()).isNotBlank();
        assertThat(c.recordWhileSwapped().path("status").asText()).as("the record, through the other node")
                .isEqualTo("SWAPPED_OUT");
        assertThat(c.recordWhileSwapped().path("snapshot")).isEqualTo(snapshot);
        assertThat(c.objectsWhileSwapped()).containsExactlyInAnyOrder(
                "swaps/" + KEEPER + "/" + c.id() + "/gen-000000000001/data",
                "swaps/" + KEEPER + "/" + c.id() + "/gen-000000000001/manifest.json");
    }

    @Test
    void swappedOutProcessExits() throws Exception {
        Cycle c = cycle();

        eventually(Duration.ofSeconds(10), () -> ProcessHandle.of(c.pidBefore()).map(ProcessHandle::isAlive).orElse(false),
                alive -> !alive, "the OS process of the swapped-out incarnation exits");
    }

    @Test
    void swappedInProcessKeepsItsIdAndIsActiveWithANewEndpoint() throws Exception {
        Cycle c = cycle();

        assertThat(c.swapInReply().status()).as("%s", c.swapInReply()).isEqualTo(200);
        JsonNode p = c.swapInReply().json();
        assertThat(p.path("id").asText()).isEqualTo(c.id());
        assertThat(p.path("status").asText()).isEqualTo("ACTIVE");
        assertThat(p.path("endpoint").path("port").asInt()).isPositive();
        assertThat(p.path("token").asText()).isNotBlank();
        assertThat(record(apiB, KEEPER, c.id()).path("status").asText()).isEqualTo("ACTIVE");
        assertThat(ControlPlanes.osProcess(a, KEEPER, c.id()).pid()).isNotEqualTo(c.pidBefore());
    }

    @Test
    void transitionsAreActiveSwappingOutSwappedOutSwappingInActive() throws Exception {
        Cycle c = cycle();

        assertThat(statuses(record(apiA, KEEPER, c.id())))
                .containsExactly("ALLOCATING", "ACTIVE", "SWAPPING_OUT", "SWAPPED_OUT", "SWAPPING_IN", "ACTIVE");
    }

    @Test
    void processStateSurvivesSwapOutAndSwapIn() throws Exception {
        Cycle c = cycle();

        try (ProcessClient client = ControlPlanes.connect(c.swapInReply())) {
            assertThat(text(client.invoke("getState", utf8("color")))).isEqualTo("teal");
        }
    }

    @Test
    void sessionsResumeByIdWithTheirStateOnTheSwappedInProcess() throws Exception {
        Cycle c = cycle();

        Map<String, Long> after = new LinkedHashMap<>();
        List<Boolean> resumed = new ArrayList<>();
        try (ProcessClient client = ControlPlanes.connect(c.swapInReply())) {
            for (String id : c.sessionCounts().keySet()) {
                ProcessSession s = client.resumeSession(id);
                resumed.add(s.resumed());
                after.put(id, Long.parseLong(text(s.invoke("count", new byte[0]))));
            }
        }

        assertThat(resumed).containsExactly(true, true, true);
        Map<String, Long> expected = new LinkedHashMap<>();
        c.sessionCounts().forEach((id, n) -> expected.put(id, n + 1)); // each session counts on from its state
        assertThat(after).isEqualTo(expected);
    }

    // ---- processes of their own

    @Test
    void hundredMebibytesOfStateSurviveASwap() {
        String id = ControlPlanes.createProcess(apiA, HOARD).json().path("id").asText();
        try {
            assertThat(call(HOARD, id, "fill", "blob:100:" + MIB)).isEqualTo("ok");
            String before = call(HOARD, id, "digest", "blob:100");
            assertThat(before).endsWith(" " + 100L * MIB);

            JsonNode snapshot = swappedOut(HOARD, id).json().path("snapshot");
            assertThat(snapshot.path("stateBytes").asLong()).isGreaterThanOrEqualTo(100L * MIB);
            assertThat(snapshot.path("snapshotBytes").asLong()).isGreaterThanOrEqualTo(100L * MIB);
            swappedIn(HOARD, id);

            assertThat(call(HOARD, id, "digest", "blob:100")).isEqualTo(before);
        } finally {
            apiA.delete("/v1/applications/" + HOARD + "/processes/" + id);
        }
    }

    @Test
    void secondSwapOutCommitsGenerationTwoAndRemovesGenerationOne() throws Exception {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try {
            call(KEEPER, id, "putState", "first=1");
            swappedOut(KEEPER, id);
            swappedIn(KEEPER, id);
            call(KEEPER, id, "putState", "second=2");

            Api.Reply out = swapOut(apiA, KEEPER, id);

            assertThat(out.status()).as("%s", out).isEqualTo(200);
            assertThat(out.json().path("snapshot").path("generation").asLong()).isEqualTo(2);
            // The swapped-out process removes generation 1 after the answer, before it exits.
            List<String> generationTwo = List.of("swaps/" + KEEPER + "/" + id + "/gen-000000000002/data",
                    "swaps/" + KEEPER + "/" + id + "/gen-000000000002/manifest.json");
            eventually(Duration.ofSeconds(30), () -> snapshotObjects(KEEPER, id),
                    keys -> keys.size() == 2 && keys.containsAll(generationTwo), "only generation 2 is left");
            // Generation 2 holds what was restored from generation 1 and what was written since.
            JsonNode manifest = Api.JSON.readTree(s3.getObjectAsBytes(r -> r.bucket(BUCKET)
                    .key(out.json().path("snapshot").path("manifestKey").asText())).asByteArray());
            assertThat(manifest.path("generation").asLong()).isEqualTo(2);
            assertThat(manifest.path("processEntries").asLong()).isEqualTo(2);
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void moreWaitingInvocationsThanTheApisWorkersStillSeeTheirProcessSwappedIn() throws Exception {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(40);
        try {
            call(KEEPER, id, "putState", "burst=kept");
            swappedOut(KEEPER, id);

            // Each waits on an API worker while the swap-in runs: more of them than there are workers
            // (32) must not keep the process's registration, on the same node, from being handled.
            List<java.util.concurrent.Future<Api.Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                replies.add(callers.submit(() -> apiA.invoke(KEEPER, "getState",
                        "?process=" + id + "&timeoutMs=60000", utf8("burst"))));
            }
            for (java.util.concurrent.Future<Api.Reply> f : replies) {
                Api.Reply r = f.get(120, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.status()).as("%s", r).isEqualTo(200);
                assertThat(r.text()).isEqualTo("kept");
            }
        } finally {
            callers.shutdownNow();
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void idleProcessIsSwappedOutByTheDownscalerAndSwappedInOnDemandByAnInvocation() {
        String id = ControlPlanes.createProcess(apiA, SLEEPY).json().path("id").asText();
        try {
            assertThat(call(SLEEPY, id, "putState", "mood=dreaming")).isEqualTo("ok");

            JsonNode swapped = eventually(Duration.ofSeconds(30), () -> record(apiA, SLEEPY, id),
                    p -> p.path("status").asText().equals("SWAPPED_OUT"), "the idle process is swapped out");
            assertThat(swapped.path("snapshot").path("generation").asLong()).isEqualTo(1);

            Api.Reply r = apiA.invoke(SLEEPY, "getState", "?process=" + id, utf8("mood"));

            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertThat(r.text()).isEqualTo("dreaming");
            assertThat(r.headers().firstValue("X-Praas-Process")).hasValue(id);
            List<String> statuses = statuses(record(apiA, SLEEPY, id));
            assertThat(statuses.subList(0, 6))
                    .containsExactly("ALLOCATING", "ACTIVE", "SWAPPING_OUT", "SWAPPED_OUT", "SWAPPING_IN", "ACTIVE");
        } finally {
            apiA.delete("/v1/applications/" + SLEEPY + "/processes/" + id);
        }
    }

    @Test
    void stickyCallsThroughSwapOutsAllRunOnceAndNoneFails() throws Exception {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try {
            int callers = 6;
            int calls = 150;
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            CompletableFuture<Integer> swaps = CompletableFuture.supplyAsync(() -> {
                int n = 0;
                while (!done.get()) {
                    if (swapOut(n % 2 == 0 ? apiA : apiB, KEEPER, id).status() == 200) {
                        n++;
                    }
                    try {
                        Thread.sleep(150);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                return n;
            });
            List<List<Api.Reply>> replies;
            try {
                replies = ControlPlanes.atOnce(callers, c -> {
                    List<Api.Reply> mine = new ArrayList<>();
                    for (int i = 0; i < calls; i++) {
                        mine.add((c % 2 == 0 ? apiA : apiB).invoke(KEEPER, "count",
                                "?process=" + id + "&session=s" + c + "&timeoutMs=60000", utf8("")));
                    }
                    return mine;
                });
            } finally {
                done.set(true);
            }

            // Calls a process refused as not started, as it began to swap out, are routed again.
            assertThat(swaps.get(60, TimeUnit.SECONDS)).as("swap-outs").isPositive();
            for (int c = 0; c < callers; c++) {
                List<Api.Reply> mine = replies.get(c);
                assertThat(mine).allSatisfy(r -> assertThat(r.status()).as("%s", r).isEqualTo(200));
                assertThat(mine.get(calls - 1).text()).as("session s%d's last count", c).isEqualTo(Integer.toString(calls));
            }
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void idleSwapOutOfAProcessBusySinceItsLastHeartbeatDoesNothing() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, DOZY);
        String id = created.json().path("id").asText();
        try (ProcessClient client = ControlPlanes.connect(created)) {
            // An invocation the heartbeats have not reported yet: the record still says idle for
            // hours, as it may for up to a heartbeat interval after an invocation began.
            CompletableFuture<byte[]> slow = client.invokeAsync("slow", "", utf8("3000:busy=done"), Duration.ofSeconds(30));
            eventually(Duration.ofSeconds(10), () -> a.lifecycle().process(DOZY, id).metrics().inFlight(), n -> n > 0,
                    "the invocation running on the process (its heartbeat says so)");
            Instant longAgo = Instant.now().minus(Duration.ofHours(2));
            a.registry().update(DOZY, id, p -> p.withMetrics(new ProcessRecord.Metrics(p.metrics().invocations(),
                    0, p.metrics().stateBytes(), longAgo, 0, Instant.now())));

            a.lifecycle().swapOutIdle();

            assertThat(new String(slow.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("done");
            JsonNode p = record(apiA, DOZY, id);
            assertThat(p.path("status").asText()).isEqualTo("ACTIVE");
            assertThat(p.path("snapshot").isMissingNode() || p.path("snapshot").isNull()).as("%s", p).isTrue();
            assertThat(snapshotObjects(DOZY, id)).isEmpty();
            assertThat(call(DOZY, id, "getState", "busy")).isEqualTo("done");
        } finally {
            apiA.delete("/v1/applications/" + DOZY + "/processes/" + id);
        }
    }

    @Test
    void inFlightInvocationFinishesDuringASwapOutAndItsWriteSurvives() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, KEEPER);
        String id = created.json().path("id").asText();
        try {
            Api.Reply out;
            try (ProcessClient client = ControlPlanes.connect(created)) {
                assertThat(text(client.invoke("putState", utf8("before=1")))).isEqualTo("ok");
                CompletableFuture<byte[]> slow = client.invokeAsync("slow", "", utf8("2000:drained=yes"),
                        Duration.ofSeconds(30));
                Thread.sleep(300); // the invocation runs on the process

                out = swapOut(apiA, KEEPER, id);

                assertThat(text(slow.get(10, TimeUnit.SECONDS))).isEqualTo("done");
                assertThat(client.goAway()).isNotNull();
                assertThat(client.goAway().reason()).isEqualTo(GoAwayReason.SWAPPING_OUT);
            }
            assertThat(out.status()).as("%s", out).isEqualTo(200);
            assertThat(out.took()).as("the swap-out waits for the invocation").isGreaterThan(Duration.ofMillis(1200));

            swappedIn(KEEPER, id);
            assertThat(call(KEEPER, id, "getState", "drained")).isEqualTo("yes");
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void invocationThatOutlastsTheDrainTimeoutFailsWithProcessUnavailableAndTheSwapCompletes() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, KEEPER);
        String id = created.json().path("id").asText();
        try {
            Api.Reply out;
            Throwable failure;
            long failedAfterMs;
            try (ProcessClient client = ControlPlanes.connect(created)) {
                assertThat(text(client.invoke("putState", utf8("before=1")))).isEqualTo("ok");
                long start = System.nanoTime();
                CompletableFuture<byte[]> endless = client.invokeAsync("slow", "", utf8("12000:late=yes"),
                        Duration.ofSeconds(60));
                Thread.sleep(300); // the invocation runs on the process

                out = swapOut(apiA, KEEPER, id);

                failure = catchThrowable(() -> endless.get(10, TimeUnit.SECONDS));
                failedAfterMs = (System.nanoTime() - start) / 1_000_000;
            }
            assertThat(failure).isInstanceOf(ExecutionException.class);
            assertThat(failure.getCause()).isInstanceOf(PraasException.class);
            assertThat(((PraasException) failure.getCause()).code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
            assertThat(((PraasException) failure.getCause()).mayHaveRun()).as("failed in flight").isTrue();
            assertThat(failedAfterMs).as("failed after the drain timeout, not after the invocation's 12 s")
                    .isBetween(DRAIN_TIMEOUT.toMillis() - 500, 10_000L);
            assertThat(out.status()).as("%s", out).isEqualTo(200);
            assertThat(out.json().path("status").asText()).isEqualTo("SWAPPED_OUT");
            assertThat(out.took()).isLessThan(Duration.ofSeconds(10));
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void anInvocationStillRunningAfterTheDrainCannotWriteStateOnceTheSnapshotIsTaken() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, KEEPER);
        String id = created.json().path("id").asText();
        Path log = io.praas.controlplane.swapapp.Ticker.log(id);
        Files.deleteIfExists(log);
        try {
            Api.Reply out;
            Throwable failure;
            try (ProcessClient client = ControlPlanes.connect(created)) {
                CompletableFuture<byte[]> ticking = client.invokeAsync("ticker", "", utf8("60000"),
                        Duration.ofSeconds(90));
                eventually(Duration.ofSeconds(10), () -> Files.exists(log) && readLines(log).contains("wrote 1"),
                        done -> done, "the ticker's first write");

                out = swapOut(apiA, KEEPER, id);

                failure = catchThrowable(() -> ticking.get(10, TimeUnit.SECONDS));
            }
            assertThat(out.status()).as("%s", out).isEqualTo(200);
            assertThat(failure).as("the caller was told").isInstanceOf(ExecutionException.class);
            assertThat(((PraasException) failure.getCause()).code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
            List<String> lines = readLines(log);
            String last = lines.get(lines.size() - 1);
            assertThat(last).as("the ticker's last line: its write after the drain was refused")
                    .startsWith("refused ").contains("swapping out");
            String lastWritten = lines.stream().filter(l -> l.startsWith("wrote ")).reduce((x, y) -> y).orElseThrow()
                    .substring("wrote ".length());

            swappedIn(KEEPER, id);
            assertThat(call(KEEPER, id, "getState", "tick")).as("the snapshot holds the last write that succeeded")
                    .isEqualTo(lastWritten);
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
            Files.deleteIfExists(log);
        }
    }

    @Test
    void aStateUpdateThatOutlastsTheDrainAbortsTheSwapOutAndWhatTheAttemptLeftIsRemoved() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, KEEPER);
        String id = created.json().path("id").asText();
        // As if an earlier attempt's manifest had reached the store though its answer failed.
        String stale = "swaps/" + KEEPER + "/" + id + "/gen-000000000001/manifest.json";
        s3.putObject(b -> b.bucket(BUCKET).key(stale), RequestBody.fromString("{}"));
        try {
            try (ProcessClient client = ControlPlanes.connect(created)) {
                assertThat(text(client.invoke("putState", utf8("kept=yes")))).isEqualTo("ok");
                // A compute whose update outlasts the drain (4 s) and the 5 s the seal waits after it.
                CompletableFuture<byte[]> updating = client.invokeAsync("slowUpdate", "", utf8("12000"),
                        Duration.ofSeconds(60));
                Thread.sleep(300); // the update runs on the process

                Api.Reply out = swapOut(apiA, KEEPER, id);

                assertJsonError(out, 502, "SWAP_FAILED");
                assertThat(out.json().path("message").asText()).contains("state update");
                catchThrowable(() -> updating.get(30, TimeUnit.SECONDS));
            }
            // Past the heartbeat checks (every second): the heartbeats it sent while SWAPPING_OUT
            // count, so its last one is not taken to be from before the swap-out (it was FAILED then).
            Thread.sleep(2_000);
            JsonNode p = record(apiA, KEEPER, id);
            assertThat(p.path("status").asText()).isEqualTo("ACTIVE");
            assertThat(call(KEEPER, id, "getState", "kept")).as("it serves again, with its state").isEqualTo("yes");
            assertThat(snapshotObjects(KEEPER, id)).as("what the failed attempt's generation held").doesNotContain(stale);
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void anApplicationWhoseDeletionFailedPartWayTakesNoNewProcessUntilItIsDeletedAgain() throws Exception {
        String doomed = "doomed";
        SwapApp.deploy(apiA, doomed, Map.of("resources", ControlPlanes.SMALL));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String p = ControlPlanes.createProcess(apiA, doomed).json().path("id").asText();
            ids.add(p);
            call(doomed, p, "putState", "k=v");
            swappedOut(doomed, p);
        }
        try {
            stopStore(); // its snapshots cannot be removed: the deletion stops at the first process
            assertJsonError(apiA.delete("/v1/applications/" + doomed), 502, "BAD_GATEWAY");
            store = startStore(storePort);
            List<String> stopped = ids.stream()
                    .filter(p -> record(apiA, doomed, p).path("status").asText().equals("STOPPED")).toList();
            assertThat(stopped).hasSize(1);
            String id = stopped.get(0);
            String other = ids.get(ids.get(0).equals(id) ? 1 : 0);
            assertThat(snapshotObjects(doomed, id)).as("kept, with the record that names them").isNotEmpty();
            assertThat(record(apiA, doomed, other).path("status").asText()).isEqualTo("SWAPPED_OUT");
            assertJsonError(swapIn(apiA, doomed, other), 409, "CONFLICT");

            assertThat(apiA.get("/v1/applications/" + doomed).status()).as("still there, to be deleted again")
                    .isEqualTo(200);
            assertJsonError(apiA.post("/v1/applications/" + doomed + "/processes", Map.of("name", "late")), 409,
                    "CONFLICT");
            assertThat(apiA.delete("/v1/applications/" + doomed).status()).isEqualTo(204);
            assertJsonError(apiA.get("/v1/applications/" + doomed), 404, "NOT_FOUND");
            assertThat(snapshotObjects(doomed, id)).isEmpty();
            assertThat(snapshotObjects(doomed, other)).isEmpty();
        } finally {
            if (store == null) {
                store = startStore(storePort);
            }
            apiA.delete("/v1/applications/" + doomed);
        }
    }

    @Test
    void objectStoreFailureDuringSwapOutAbortsTheSwapAndTheProcessServesAgainWithItsState() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, KEEPER);
        String id = created.json().path("id").asText();
        String session;
        try (ProcessClient client = ControlPlanes.connect(created)) {
            assertThat(text(client.invoke("putState", utf8("kept=yes")))).isEqualTo("ok");
            ProcessSession s = client.openSession();
            s.invoke("count", new byte[0]);
            session = s.id();
        }
        try {
            stopStore();
            Api.Reply failed = swapOut(apiA, KEEPER, id);

            assertJsonError(failed, 502, "SWAP_FAILED");
            JsonNode p = record(apiA, KEEPER, id);
            assertThat(p.path("status").asText()).isEqualTo("ACTIVE");
            assertThat(p.path("snapshot").isNull()).isTrue();
            assertThat(statuses(p)).containsExactly("ALLOCATING", "ACTIVE", "SWAPPING_OUT", "ACTIVE");
            // It serves again, with its state, while the store is still down.
            assertThat(call(KEEPER, id, "getState", "kept")).isEqualTo("yes");
            try (ProcessClient client = connect(p)) {
                ProcessSession s = client.resumeSession(session);
                assertThat(s.resumed()).isTrue();
                assertThat(text(s.invoke("count", new byte[0]))).isEqualTo("2");
            }

            store = startStore(storePort); // the same store, back on its port with its objects
            Api.Reply out = swapOut(apiA, KEEPER, id);

            assertThat(out.status()).as("%s", out).isEqualTo(200);
            assertThat(out.json().path("snapshot").path("generation").asLong()).isEqualTo(1);
            Api.Reply in = swapIn(apiA, KEEPER, id);
            assertThat(in.status()).as("%s", in).isEqualTo(200);
            assertThat(call(KEEPER, id, "getState", "kept")).isEqualTo("yes");
            try (ProcessClient client = ControlPlanes.connect(in)) {
                assertThat(text(client.resumeSession(session).invoke("count", new byte[0]))).isEqualTo("3");
            }
        } finally {
            if (store == null) {
                store = startStore(storePort);
            }
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void anSdkClientServesOnRightAfterAFailedSwapOut() throws Exception {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try (io.praas.client.Praas praas = io.praas.client.Praas.builder().url(a.apiUrl())
                .adminKey(ControlPlanes.ADMIN_KEY).build();
             ProcessClient client = praas.connect(praas.getProcess(KEEPER, id))) {
            assertThat(text(client.invoke("putState", utf8("steady=yes")))).isEqualTo("ok");
            stopStore();
            assertJsonError(swapOut(apiA, KEEPER, id), 502, "SWAP_FAILED");

            // The client was told GOAWAY; the process closes that connection as it serves again, so
            // the request goes out on a new one instead of waiting for the old one's 30 s linger.
            byte[] out = client.invokeAsync("getState", "", utf8("steady"), Duration.ofSeconds(8))
                    .get(20, TimeUnit.SECONDS);

            assertThat(text(out)).isEqualTo("yes");
            assertThat(client.processId()).isEqualTo(id);
        } finally {
            if (store == null) {
                store = startStore(storePort);
            }
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void deletingAProcessWhoseOnlySwapOutDidNotCommitAbortsTheUploadItLeft() throws Exception {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try {
            stopStore();
            assertJsonError(swapOut(apiA, KEEPER, id), 502, "SWAP_FAILED"); // no snapshot, a SWAPPING_OUT behind it
            store = startStore(storePort);
            // What an incarnation killed during that upload would have left: parts, no object, no snapshot.
            String key = io.praas.process.swap.SwapManifest.dataKey(KEEPER, id, 1);
            String uploadId = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
            s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(uploadId).partNumber(1),
                    software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[1024]));
            assertThat(record(apiA, KEEPER, id).path("snapshot").isNull()).isTrue();

            Api.Reply deleted = apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);

            assertThat(deleted.status()).as("%s", deleted).isEqualTo(204);
            assertThat(unfinishedUploads(KEEPER, id)).isEmpty();
        } finally {
            if (store == null) {
                store = startStore(storePort);
            }
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id); // 404 once deleted
        }
    }

    @Test
    void aSmallSnapshotSwapsInFromTheControlPlanesCopyALargerOneFromTheStore() {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try {
            call(KEEPER, id, "putState", "small=pebble");
            String dataKey = swappedOut(KEEPER, id).json().path("snapshot").path("manifestKey").asText()
                    .replace("manifest.json", "data");
            // Only the control plane's copy can bring this state back now.
            s3.deleteObject(r -> r.bucket(BUCKET).key(dataKey));

            swappedIn(KEEPER, id);

            assertThat(call(KEEPER, id, "getState", "small")).isEqualTo("pebble");
            // Over the copy's limit (InlineSnapshot.MAX_DATA_BYTES): the swap-in reads the store.
            call(KEEPER, id, "putState", "large=" + "boulder".repeat(1000));
            String largeKey = swappedOut(KEEPER, id).json().path("snapshot").path("manifestKey").asText()
                    .replace("manifest.json", "data");
            s3.deleteObject(r -> r.bucket(BUCKET).key(largeKey));

            Api.Reply in = swapIn(apiA, KEEPER, id);

            assertJsonError(in, 502, "SWAP_FAILED");
            assertThat(in.json().path("message").asText()).contains(largeKey).contains("does not exist");
            assertThat(record(apiA, KEEPER, id).path("status").asText()).isEqualTo("SWAPPED_OUT");
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void corruptSnapshotPartFailsSwapInWithAClearErrorAndTheSnapshotIsKept() {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try {
            // Larger than a snapshot the control plane keeps a copy of: this swap-in reads the store.
            call(KEEPER, id, "putState", "fragile=" + "glass".repeat(1000));
            Api.Reply out = swappedOut(KEEPER, id);
            String manifestKey = out.json().path("snapshot").path("manifestKey").asText();
            String dataKey = manifestKey.replace("manifest.json", "data");
            byte[] data = s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(dataKey)).asByteArray();
            data[data.length / 2] ^= 0x40;
            s3.putObject(r -> r.bucket(BUCKET).key(dataKey), RequestBody.fromBytes(data));

            Api.Reply in = swapIn(apiA, KEEPER, id);

            assertJsonError(in, 502, "SWAP_FAILED");
            assertThat(in.json().path("message").asText()).contains("part 1").contains("corrupt");
            assertThat(in.took()).isLessThan(Duration.ofSeconds(30));
            JsonNode p = record(apiA, KEEPER, id);
            assertThat(p.path("status").asText()).isEqualTo("SWAPPED_OUT");
            assertThat(p.path("failure").asText()).startsWith("swap-in failed");
            assertThat(p.path("snapshot").path("manifestKey").asText()).isEqualTo(manifestKey);
            assertThat(snapshotObjects(KEEPER, id)).containsExactlyInAnyOrder(dataKey, manifestKey);
            assertThat(s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(dataKey)).asByteArray())
                    .as("the corrupt snapshot, kept for inspection").isEqualTo(data);
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void deletingASwappedOutProcessRemovesAllItsSnapshotObjectsAndAbortsAnUnfinishedUpload() {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try {
            call(KEEPER, id, "putState", "doomed=true");
            swappedOut(KEEPER, id);
            assertThat(snapshotObjects(KEEPER, id)).hasSize(2);
            // As an incarnation killed while it uploaded a later generation leaves it: parts, unlisted.
            String key = io.praas.process.swap.SwapManifest.dataKey(KEEPER, id, 9);
            String uploadId = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
            s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(uploadId).partNumber(1),
                    software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[1024]));
            assertThat(unfinishedUploads(KEEPER, id)).containsExactly(uploadId);

            Api.Reply deleted = apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);

            assertThat(deleted.status()).as("%s", deleted).isEqualTo(204);
            assertThat(snapshotObjects(KEEPER, id)).isEmpty();
            assertThat(unfinishedUploads(KEEPER, id)).isEmpty();
            assertThat(apiA.get("/v1/applications/" + KEEPER + "/processes/" + id).status()).isEqualTo(404);
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id); // 404 once deleted
        }
    }

    @Test
    void aProcessKilledWhileItSwapsOutBeforeItCommitsIsFailedWithAClearError() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, KEEPER);
        String id = created.json().path("id").asText();
        try {
            Api.Reply out = killedWhileSwappingOut(created);

            assertJsonError(out, 503, "PROCESS_UNAVAILABLE");
            assertThat(out.json().path("message").asText()).contains("did not finish its swap-out");
            JsonNode p = eventually(Duration.ofSeconds(30), () -> record(apiA, KEEPER, id),
                    r -> r.path("status").asText().equals("FAILED"), "FAILED");
            assertThat(p.path("failure").asText()).contains("before it committed its snapshot");
            assertThat(p.path("snapshot").isNull()).isTrue();
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void aProcessKilledWhileItSwapsOutAfterItCommittedIsSwappedOutWithThatSnapshot() throws Exception {
        Api.Reply created = ControlPlanes.createProcess(apiA, KEEPER);
        String id = created.json().path("id").asText();
        try {
            call(KEEPER, id, "putState", "kept=" + "amber".repeat(1000)); // over the inline copy's limit
            swappedOut(KEEPER, id);
            Api.Reply in = swappedIn(KEEPER, id);
            // What an incarnation that committed generation 2 and was killed before it answered leaves:
            // here a copy of generation 1 under generation 2's keys.
            io.praas.process.swap.SwapManifest one = io.praas.process.swap.SwapManifest.fromJson(s3.getObjectAsBytes(
                    r -> r.bucket(BUCKET).key(io.praas.process.swap.SwapManifest.manifestKey(KEEPER, id, 1))).asByteArray());
            String dataKey = io.praas.process.swap.SwapManifest.dataKey(KEEPER, id, 2);
            s3.copyObject(r -> r.sourceBucket(BUCKET).sourceKey(one.dataKey()).destinationBucket(BUCKET)
                    .destinationKey(dataKey));
            io.praas.process.swap.SwapManifest two = new io.praas.process.swap.SwapManifest(one.format(), one.version(),
                    one.application(), one.processId(), 2, one.createdAt(), dataKey, one.partSize(), one.parts(),
                    one.totalBytes(), one.sha256(), one.crc32c(), one.processEntries(), one.sessions(),
                    one.sessionEntries(), one.stateBytes());
            String manifestKey = io.praas.process.swap.SwapManifest.manifestKey(KEEPER, id, 2);
            s3.putObject(r -> r.bucket(BUCKET).key(manifestKey), RequestBody.fromBytes(two.toJson()));

            Api.Reply out = killedWhileSwappingOut(in);

            assertThat(out.status()).as("%s", out).isEqualTo(200);
            assertThat(out.json().path("status").asText()).isEqualTo("SWAPPED_OUT");
            assertThat(out.json().path("snapshot").path("generation").asLong()).isEqualTo(2);
            assertThat(out.json().path("snapshot").path("manifestKey").asText()).isEqualTo(manifestKey);
            assertThat(out.json().path("failure").asText()).contains("committed");
            swappedIn(KEEPER, id);
            assertThat(call(KEEPER, id, "getState", "kept")).isEqualTo("amber".repeat(1000));
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    /**
     * Swaps the process out through node A while an invocation holds up its drain, SIGKILLs it while
     * it is SWAPPING_OUT, and returns the swap-out's answer.
     */
    private static Api.Reply killedWhileSwappingOut(Api.Reply process) throws Exception {
        String id = process.json().path("id").asText();
        ProcessHandle os = ControlPlanes.osProcess(a, KEEPER, id);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ProcessClient client = ControlPlanes.connect(process)) {
            client.invokeAsync("slow", "", utf8("30000:never=written"), Duration.ofSeconds(60));
            eventually(Duration.ofSeconds(10), () -> a.lifecycle().process(KEEPER, id).metrics().inFlight(), n -> n > 0,
                    "the invocation running on the process (its heartbeat says so)");
            Future<Api.Reply> out = pool.submit(() -> swapOut(apiA, KEEPER, id));
            eventually(Duration.ofSeconds(10), () -> record(apiA, KEEPER, id).path("status").asText(),
                    "SWAPPING_OUT"::equals, "SWAPPING_OUT");
            os.destroyForcibly();
            return out.get(90, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentSwapRequestsOnTwoNodesSwapTheProcessOnce() throws Exception {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try {
            call(KEEPER, id, "putState", "once=yes");

            List<Api.Reply> replies = onBothNodesAtOnce(node -> swapOut(node, KEEPER, id));

            assertThat(replies).extracting(Api.Reply::status).as("%s", replies).containsExactlyInAnyOrder(200, 409);
            replies.stream().filter(r -> r.status() == 409).forEach(r -> assertJsonError(r, 409, "CONFLICT"));
            for (Api node : List.of(apiA, apiB)) {
                JsonNode p = record(node, KEEPER, id);
                assertThat(p.path("status").asText()).isEqualTo("SWAPPED_OUT");
                assertThat(p.path("snapshot").path("generation").asLong()).isEqualTo(1);
                assertThat(statuses(p)).containsExactly("ALLOCATING", "ACTIVE", "SWAPPING_OUT", "SWAPPED_OUT");
            }
            assertThat(snapshotObjects(KEEPER, id)).containsExactlyInAnyOrder(
                    "swaps/" + KEEPER + "/" + id + "/gen-000000000001/data",
                    "swaps/" + KEEPER + "/" + id + "/gen-000000000001/manifest.json");
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    @Test
    void concurrentSwapInRequestsOnTwoNodesStartOneProcess() throws Exception {
        String id = ControlPlanes.createProcess(apiA, KEEPER).json().path("id").asText();
        try {
            call(KEEPER, id, "putState", "twice=once");
            swappedOut(KEEPER, id);

            List<Api.Reply> replies = onBothNodesAtOnce(node -> swapIn(node, KEEPER, id));

            // Both answer with the one incarnation: one started it, the other waited for it.
            assertThat(replies).extracting(Api.Reply::status).as("%s", replies).containsExactly(200, 200);
            assertThat(replies).extracting(r -> r.json().path("endpoint").toString()).as("%s", replies)
                    .containsOnly(replies.get(0).json().path("endpoint").toString());
            JsonNode p = record(apiB, KEEPER, id);
            assertThat(statuses(p)).containsExactly("ALLOCATING", "ACTIVE", "SWAPPING_OUT", "SWAPPED_OUT",
                    "SWAPPING_IN", "ACTIVE");
            assertThat(call(KEEPER, id, "getState", "twice")).isEqualTo("once");
        } finally {
            apiA.delete("/v1/applications/" + KEEPER + "/processes/" + id);
        }
    }

    /** Sends {@code request} through node A and node B at the same moment; both answers, A's first. */
    private static List<Api.Reply> onBothNodesAtOnce(java.util.function.Function<Api, Api.Reply> request)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Api.Reply>> pending = new ArrayList<>();
            for (Api node : List.of(apiA, apiB)) {
                pending.add(pool.submit(() -> {
                    go.await();
                    return request.apply(node);
                }));
            }
            go.countDown();
            List<Api.Reply> replies = new ArrayList<>();
            for (Future<Api.Reply> f : pending) {
                replies.add(f.get(120, TimeUnit.SECONDS));
            }
            return replies;
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- helpers

    private static Api.Reply swapOut(Api api, String app, String id) {
        return api.post("/v1/applications/" + app + "/processes/" + id + "/swap", null);
    }

    private static Api.Reply swapIn(Api api, String app, String id) {
        return api.post("/v1/applications/" + app + "/processes/" + id + "/swapin", null);
    }

    /** Swaps out through node A and asserts it worked. */
    private static Api.Reply swappedOut(String app, String id) {
        Api.Reply r = swapOut(apiA, app, id);
        assertThat(r.status()).as("swap-out of %s/%s: %s", app, id, r).isEqualTo(200);
        return r;
    }

    /** Swaps in through node A and asserts it worked. */
    private static Api.Reply swappedIn(String app, String id) {
        Api.Reply r = swapIn(apiA, app, id);
        assertThat(r.status()).as("swap-in of %s/%s: %s", app, id, r).isEqualTo(200);
        return r;
    }

    private static JsonNode record(Api api, String app, String id) {
        Api.Reply r = api.get("/v1/applications/" + app + "/processes/" + id);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r.json();
    }

    private static List<String> statuses(JsonNode record) {
        List<String> s = new ArrayList<>();
        record.path("transitions").forEach(t -> s.add(t.path("status").asText()));
        return s;
    }

    /** Invokes {@code function} of process {@code id} through node A; the output as text. */
    private static String call(String app, String id, String function, String input) {
        Api.Reply r = apiA.invoke(app, function, "?process=" + id + "&timeoutMs=60000", utf8(input));
        assertThat(r.status()).as("%s(%s) on %s: %s", function, input, id, r).isEqualTo(200);
        return r.text();
    }

    /** A data-plane connection to the process of a registry view, with a fresh process token. */
    private static ProcessClient connect(JsonNode record) {
        String app = record.path("application").asText();
        String id = record.path("id").asText();
        Api.Reply token = apiA.post("/v1/applications/" + app + "/tokens", Map.of("process", id));
        assertThat(token.status()).as("%s", token).isEqualTo(200);
        return ProcessClient.builder()
                .address(record.path("endpoint").path("host").asText(), record.path("endpoint").path("port").asInt())
                .application(app)
                .token(token.json().path("token").asText())
                .timeout(Duration.ofSeconds(10))
                .connect();
    }

    private static List<String> unfinishedUploads(String app, String id) {
        return s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix("swaps/" + app + "/" + id + "/")).uploads().stream()
                .map(software.amazon.awssdk.services.s3.model.MultipartUpload::uploadId).toList();
    }

    private static List<String> snapshotObjects(String app, String id) {
        return s3.listObjectsV2(r -> r.bucket(BUCKET).prefix("swaps/" + app + "/" + id + "/")).contents().stream()
                .map(S3Object::key).toList();
    }

    private static S3Proxy startStore(int port) throws Exception {
        Files.createDirectories(blobs);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(blobs.toAbsolutePath().toString()))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .stopTimeout(500)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            assertThat(System.nanoTime()).as("S3Proxy starts within 30 s").isLessThan(deadline);
            Thread.sleep(10);
        }
        return proxy;
    }

    private static void stopStore() {
        S3Proxy s = store;
        store = null;
        if (s != null) {
            try {
                s.stop();
            } catch (Exception e) {
                // Jetty's graceful stop gives up on idle keep-alive connections; it stopped anyway.
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
