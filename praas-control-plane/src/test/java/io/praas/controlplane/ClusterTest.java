package io.praas.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.controlplane.storage.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.praas.controlplane.Api.assertJsonError;
import static io.praas.controlplane.ControlPlanes.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two control-plane nodes in one Hazelcast cluster, sharing one S3-compatible store: what one node
 * creates the other sees, invokes and stops, and allocation from both never exceeds the limit.
 */
class ClusterTest {
    private static final String SHARED = "shared";

    @TempDir
    static Path dataDir;
    private static EmbeddedS3 s3;
    private static ControlPlane a;
    private static ControlPlane b;
    private static Api apiA;
    private static Api apiB;
    private static String sharedProcess;
    private static int hazelcastBase;

    @BeforeAll
    static void startTwoNodes() throws Exception {
        s3 = EmbeddedS3.start(dataDir.resolve("s3"), 0, "praas-cluster-test", "praas-cluster-secret");
        ControlPlanes.Options optionsA = sharedStore(ControlPlanes.options(dataDir.resolve("a")));
        optionsA.nodeName = "node-a";
        hazelcastBase = optionsA.hazelcastPort;
        // Node A lists itself, so that its TCP-IP joiner is on: see secondNodeJoinsANodeStartedWithoutJoinMembers.
        optionsA.join = List.of("127.0.0.1:" + optionsA.hazelcastPort);
        a = ControlPlane.start(optionsA.config());

        ControlPlanes.Options optionsB = sharedStore(ControlPlanes.options(dataDir.resolve("b")));
        optionsB.nodeName = "node-b";
        optionsB.clusterName = optionsA.clusterName;
        optionsB.hazelcastPort = optionsA.hazelcastPort + 1;
        optionsB.join = List.of(a.clusterAddress());
        b = ControlPlane.start(optionsB.config());

        apiA = Api.admin(a);
        apiB = Api.admin(b);
        ControlPlanes.deploy(apiA, SHARED, Map.of());
        sharedProcess = ControlPlanes.createProcess(apiA, SHARED).json().path("id").asText();
    }

    private static ControlPlanes.Options sharedStore(ControlPlanes.Options o) {
        o.s3Endpoint = s3.endpoint();
        o.s3AccessKey = "praas-cluster-test";
        o.s3SecretKey = "praas-cluster-secret";
        return o;
    }

    @AfterAll
    static void stop() throws Exception {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
        if (s3 != null) {
            try {
                s3.close();
            } catch (TimeoutException e) {
                // Jetty's graceful stop gives up on the nodes' idle keep-alive connections; it stopped anyway.
            }
        }
    }

    @Test
    void secondNodeJoinsANodeStartedWithoutJoinMembers() {
        // The documented single-machine start: the first node is given no --join, the next joins it.
        ControlPlanes.Options first = sharedStore(ControlPlanes.options(dataDir.resolve("c")));
        first.hazelcastPort = hazelcastBase + 5;
        try (ControlPlane c = ControlPlane.start(first.config())) {
            ControlPlanes.Options second = sharedStore(ControlPlanes.options(dataDir.resolve("d")));
            second.clusterName = first.clusterName;
            second.hazelcastPort = first.hazelcastPort + 1;
            second.join = List.of(c.clusterAddress());
            try (ControlPlane d = ControlPlane.start(second.config())) {
                assertThat(Api.admin(c).get("/v1/health").json().path("clusterSize").asInt()).isEqualTo(2);
                assertThat(Api.admin(d).get("/v1/health").json().path("clusterSize").asInt()).isEqualTo(2);
            }
        }
    }

    @Test
    void nodesStartedWithoutJoinMembersStayApartOnOneMachine() {
        // Two `praas up` on one machine with the defaults: the second binds the next port. Each
        // has its own admin key and store; neither may join the other unasked.
        ControlPlanes.Options first = sharedStore(ControlPlanes.options(dataDir.resolve("f")));
        first.hazelcastPort = hazelcastBase + 3;
        try (ControlPlane f = ControlPlane.start(first.config())) {
            ControlPlanes.Options second = sharedStore(ControlPlanes.options(dataDir.resolve("g")));
            second.clusterName = first.clusterName;
            second.hazelcastPort = first.hazelcastPort;
            try (ControlPlane g = ControlPlane.start(second.config())) {
                ControlPlanes.deploy(Api.admin(f), "only-on-f", Map.of());

                assertThat(Api.admin(f).get("/v1/health").json().path("clusterSize").asInt()).isEqualTo(1);
                assertThat(Api.admin(g).get("/v1/health").json().path("clusterSize").asInt()).isEqualTo(1);
                assertThat(Api.admin(g).get("/v1/applications/only-on-f").status()).isEqualTo(404);
            }
        }
    }

    @Test
    void aStoppingNodeSwapsItsProcessesOutAndAnotherNodeSwapsThemIn() {
        ControlPlanes.Options staying = sharedStore(ControlPlanes.options(dataDir.resolve("e")));
        staying.hazelcastPort = hazelcastBase + 7;
        staying.join = List.of("127.0.0.1:" + staying.hazelcastPort);
        try (ControlPlane e = ControlPlane.start(staying.config())) {
            ControlPlanes.Options leaving = sharedStore(ControlPlanes.options(dataDir.resolve("f")));
            leaving.clusterName = staying.clusterName;
            leaving.hazelcastPort = staying.hazelcastPort + 1;
            leaving.join = List.of(e.clusterAddress());
            Api apiE = Api.admin(e);
            Api.Reply app = apiE.post("/v1/applications", Map.of("name", "ledger", "resources", ControlPlanes.SMALL,
                    "durability", "journal"));
            assertThat(app.status()).as("%s", app).isEqualTo(201);
            assertThat(apiE.put("/v1/applications/ledger/code", ControlPlanes.samplesJarBytes(),
                    "application/java-archive").status()).isEqualTo(200);
            // A memory application too: while another node serves, its processes keep their state.
            Api.Reply memoryApp = apiE.post("/v1/applications", Map.of("name", "notes", "resources", ControlPlanes.SMALL));
            assertThat(memoryApp.status()).as("%s", memoryApp).isEqualTo(201);
            assertThat(apiE.put("/v1/applications/notes/code", ControlPlanes.samplesJarBytes(),
                    "application/java-archive").status()).isEqualTo(200);
            Map<String, String> ids = new java.util.LinkedHashMap<>();
            Map<String, String> sessions = new java.util.HashMap<>();
            try (ControlPlane f = ControlPlane.start(leaving.config())) {
                for (String name : List.of("ledger", "notes")) {
                    Api.Reply created = ControlPlanes.createProcess(Api.admin(f), name); // runs on node f
                    ids.put(name, created.json().path("id").asText());
                    try (ProcessClient c = ControlPlanes.connect(created)) {
                        ProcessSession s = c.openSession();
                        for (int i = 0; i < 3; i++) {
                            s.invoke("counter", new byte[0]);
                        }
                        sessions.put(name, s.id());
                    }
                }
            } // node f stops

            for (Map.Entry<String, String> p : ids.entrySet()) {
                String path = "/v1/applications/" + p.getKey() + "/processes/" + p.getValue();
                JsonNode left = apiE.get(path).json();
                assertThat(left.path("status").asText()).as("%s", left).isEqualTo("SWAPPED_OUT");
                Api.Reply in = apiE.post(path + "/swapin", null);
                assertThat(in.status()).as("%s", in).isEqualTo(200);
                try (ProcessClient c = ControlPlanes.connect(in)) {
                    assertThat(new String(c.resumeSession(sessions.get(p.getKey())).invoke("counter", new byte[0]),
                            java.nio.charset.StandardCharsets.UTF_8)).as(p.getKey()).isEqualTo("4");
                }
                apiE.delete(path);
            }
        }
    }

    @Test
    void theProcessesOfANodeThatCrashesAreTakenOverByTheOldestMember() {
        ControlPlanes.Options staying = sharedStore(ControlPlanes.options(dataDir.resolve("g")));
        staying.hazelcastPort = hazelcastBase + 9;
        staying.join = List.of("127.0.0.1:" + staying.hazelcastPort);
        try (ControlPlane g = ControlPlane.start(staying.config())) {
            // Three nodes: with two, a crash cannot be told from a split, and nothing is taken over.
            ControlPlanes.Options third = sharedStore(ControlPlanes.options(dataDir.resolve("i")));
            third.clusterName = staying.clusterName;
            third.hazelcastPort = staying.hazelcastPort + 2;
            third.join = List.of(g.clusterAddress());
            try (ControlPlane i = ControlPlane.start(third.config())) {
                ControlPlanes.Options crashing = sharedStore(ControlPlanes.options(dataDir.resolve("h")));
                crashing.clusterName = staying.clusterName;
                crashing.hazelcastPort = staying.hazelcastPort + 1;
                crashing.join = List.of(g.clusterAddress());
                Api apiG = Api.admin(g);
                assertThat(apiG.post("/v1/applications", Map.of("name", "orphans", "resources", ControlPlanes.SMALL,
                        "limits", Map.of("maxProcesses", 1))).status()).isEqualTo(201);
                assertThat(apiG.put("/v1/applications/orphans/code", ControlPlanes.samplesJarBytes(),
                        "application/java-archive").status()).isEqualTo(200);
                String id;
                try (ControlPlane h = ControlPlane.start(crashing.config())) {
                    id = ControlPlanes.createProcess(Api.admin(h), "orphans").json().path("id").asText(); // runs on node h
                    String node = Api.admin(h).get("/v1/health").json().path("node").asText();
                    // The node crashes: its cluster member ends without a word (then the rest of it goes).
                    com.hazelcast.core.Hazelcast.getHazelcastInstanceByName("praas-" + node).getLifecycleService().terminate();
                }

                String path = "/v1/applications/orphans/processes/" + id;
                JsonNode orphan = ControlPlanes.eventually(java.time.Duration.ofSeconds(30), () -> apiG.get(path).json(),
                        p -> p.path("status").asText().equals("FAILED"), "the crashed node's process taken over");
                assertThat(orphan.path("failure").asText()).contains("left the cluster");
                // Its slot is free again: the application's one process can be created on the node that stays.
                assertThat(ControlPlanes.createProcess(apiG, "orphans").status()).isEqualTo(201);
            }
        }
    }

    @Test
    void bothNodesReportAClusterOfTwo() {
        JsonNode healthA = apiA.get("/v1/health").json();
        JsonNode healthB = apiB.get("/v1/health").json();

        assertThat(healthA.path("clusterSize").asInt()).isEqualTo(2);
        assertThat(healthB.path("clusterSize").asInt()).isEqualTo(2);
        assertThat(healthA.path("node").asText()).isEqualTo("node-a");
        assertThat(healthB.path("node").asText()).isEqualTo("node-b");
    }

    @Test
    void applicationCreatedThroughOneNodeIsListedThroughTheOther() {
        assertThat(apiA.post("/v1/applications", Map.of("name", "from-a")).status()).isEqualTo(201);

        List<String> names = new ArrayList<>();
        apiB.get("/v1/applications").json().forEach(app -> names.add(app.path("name").asText()));

        assertThat(names).contains("from-a", SHARED);
        assertThat(apiB.get("/v1/applications/from-a").status()).isEqualTo(200);
    }

    @Test
    void processCreatedThroughOneNodeIsVisibleThroughTheOther() {
        JsonNode viaA = apiA.get("/v1/applications/" + SHARED + "/processes/" + sharedProcess).json();
        JsonNode viaB = apiB.get("/v1/applications/" + SHARED + "/processes/" + sharedProcess).json();

        assertThat(viaB.path("status").asText()).isEqualTo("ACTIVE");
        assertThat(viaB.path("node").asText()).isEqualTo("node-a");
        assertThat(viaB.path("endpoint")).isEqualTo(viaA.path("endpoint"));
    }

    @Test
    void processCreatedThroughOneNodeIsInvokableThroughTheOther() {
        byte[] input = "across the cluster".getBytes(StandardCharsets.UTF_8);

        Api.Reply sticky = apiB.invoke(SHARED, "echo", "?process=" + sharedProcess, input);
        Api.Reply routed = apiB.invoke(SHARED, "echo", "", input);

        assertThat(sticky.status()).as("%s", sticky).isEqualTo(200);
        assertThat(sticky.body()).isEqualTo(input);
        assertThat(sticky.headers().firstValue("X-Praas-Process")).hasValue(sharedProcess);
        assertThat(routed.status()).as("%s", routed).isEqualTo(200);
        assertThat(routed.headers().firstValue("X-Praas-Process")).hasValue(sharedProcess);
    }

    @Test
    void processesOnDifferentNodesMessageEachOther() throws Exception {
        ControlPlanes.deploy(apiA, "pair", Map.of("maxProcesses", 2));
        assertThat(apiA.post("/v1/applications/pair/processes", Map.of("name", "on-a")).status()).isEqualTo(201);
        assertThat(apiB.post("/v1/applications/pair/processes", Map.of("name", "on-b")).status()).isEqualTo(201);
        assertThat(a.lifecycle().process("pair", "on-b").node()).isNotEqualTo(a.lifecycle().process("pair", "on-a").node());
        Map<String, Object> common = Map.of("size", 100, "warmup", 2, "rounds", 20, "via", "messaging", "run", "x",
                "redis", "");
        Map<String, Object> pong = new java.util.HashMap<>(common);
        pong.put("role", "pong");
        pong.put("peer", "on-a");
        Map<String, Object> ping = new java.util.HashMap<>(common);
        ping.put("role", "ping");
        ping.put("peer", "on-b");

        // The node that runs each process told it of the other one, registered on the other node.
        java.util.concurrent.CompletableFuture<Api.Reply> ponger = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> apiB.invoke("pair", "pingPong", "?process=on-b", Api.json(pong)));
        Api.Reply pinged = apiA.invoke("pair", "pingPong", "?process=on-a", Api.json(ping));

        assertThat(pinged.status()).as("%s", pinged).isEqualTo(200);
        assertThat(pinged.json().path("nanos")).hasSize(20);
        assertThat(ponger.get(60, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
    }

    @Test
    void processCreatedThroughOneNodeIsStoppedThroughTheOther() {
        ControlPlanes.deploy(apiA, "stoppable", Map.of());
        String id = ControlPlanes.createProcess(apiA, "stoppable").json().path("id").asText();
        ProcessHandle os = ControlPlanes.osProcess(a, "stoppable", id);

        Api.Reply stopped = apiB.post("/v1/applications/stoppable/processes/" + id + "/stop", null);

        assertThat(stopped.status()).as("%s", stopped).isEqualTo(200);
        assertThat(stopped.json().path("status").asText()).isEqualTo("STOPPED");
        eventually(Duration.ofSeconds(5), os::isAlive, alive -> !alive, "the OS process exits");
        assertThat(apiA.get("/v1/applications/stoppable/processes/" + id).json().path("status").asText())
                .isEqualTo("STOPPED");
    }

    @Test
    void concurrentAllocationFromBothNodesNeverExceedsMaxProcesses() throws Exception {
        ControlPlanes.deploy(apiA, "race", Map.of("maxProcesses", 2));
        int requests = 6;
        ExecutorService pool = Executors.newFixedThreadPool(requests);
        List<Api.Reply> replies = new ArrayList<>();
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Api.Reply>> pending = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                Api node = i % 2 == 0 ? apiA : apiB;
                pending.add(pool.submit(() -> {
                    go.await();
                    return node.post("/v1/applications/race/processes", null);
                }));
            }
            go.countDown();
            for (Future<Api.Reply> f : pending) {
                replies.add(f.get(120, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        List<Api.Reply> created = replies.stream().filter(r -> r.status() == 201).toList();
        List<Api.Reply> refused = replies.stream().filter(r -> r.status() != 201).toList();
        assertThat(created).as("%s", replies).hasSize(2);
        assertThat(refused).hasSize(requests - 2);
        refused.forEach(r -> assertJsonError(r, 429, "OVERLOADED"));
        List<String> occupying = new ArrayList<>();
        apiB.get("/v1/applications/race/processes").json().forEach(p -> {
            String status = p.path("status").asText();
            if (List.of("ALLOCATING", "ACTIVE", "SWAPPING_OUT", "SWAPPING_IN").contains(status)) {
                occupying.add(p.path("id").asText());
            }
        });
        assertThat(occupying).containsExactlyInAnyOrderElementsOf(
                created.stream().map(r -> r.json().path("id").asText()).toList());
    }
}
