package io.praas.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.codec.Codecs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static io.praas.controlplane.Api.assertJsonError;
import static io.praas.controlplane.ControlPlanes.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The REST API end to end against real OS processes: applications, code, processes, invocation
 * through the control plane and directly, listing, metrics, stop and delete.
 */
class RestApiEndToEndTest {
    private static final String APP = "shop";

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Api api;
    /** The answer that created the process most tests share. */
    private static Api.Reply created;
    private static String processId;
    private static Instant beforeCreate;

    @BeforeAll
    static void startControlPlaneWithOneProcess() {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config());
        api = Api.admin(cp);
        ControlPlanes.deploy(api, APP, Map.of("maxProcesses", 1));
        beforeCreate = Instant.now();
        created = ControlPlanes.createProcess(api, APP);
        processId = created.json().path("id").asText();
    }

    @AfterAll
    static void stop() {
        if (cp != null) {
            cp.close();
        }
    }

    @Test
    void createdApplicationEchoesItsSpecAndHidesItsSecret() {
        Map<String, Object> spec = Map.of("name", "catalog",
                "resources", Map.of("vcpu", 0.5, "memoryMiB", 384),
                "limits", Map.of("maxProcesses", 3, "maxConcurrencyPerProcess", 8, "maxSessionsPerProcess", 100,
                        "stateLimitMiB", 64),
                "swap", Map.of("idleSeconds", 120));

        Api.Reply r = api.post("/v1/applications", spec);

        assertThat(r.status()).as("%s", r).isEqualTo(201);
        JsonNode body = r.json();
        assertThat(body.path("name").asText()).isEqualTo("catalog");
        assertThat(body.path("resources").path("vcpu").asDouble()).isEqualTo(0.5);
        assertThat(body.path("resources").path("memoryMiB").asInt()).isEqualTo(384);
        assertThat(body.path("limits").path("maxProcesses").asInt()).isEqualTo(3);
        assertThat(body.path("limits").path("maxConcurrencyPerProcess").asInt()).isEqualTo(8);
        assertThat(body.path("limits").path("maxSessionsPerProcess").asInt()).isEqualTo(100);
        assertThat(body.path("limits").path("stateLimitMiB").asInt()).isEqualTo(64);
        assertThat(body.path("swap").path("idleSeconds").asLong()).isEqualTo(120);
        assertThat(body.path("code").isNull()).isTrue();
        assertThat(body.path("createdAt").asText()).isNotBlank();
        assertThat(body.has("secret")).isFalse();
        String secret = cp.lifecycle().application("catalog").secret();
        assertThat(r.text()).doesNotContain(secret);
        assertThat(api.get("/v1/applications/catalog").text()).doesNotContain(secret);
        assertThat(api.get("/v1/applications").text()).doesNotContain(secret);
    }

    @Test
    void uploadedJarIsRecordedWithItsSha256AndSize() throws Exception {
        api.post("/v1/applications", Map.of("name", "uploads"));
        byte[] jar = ControlPlanes.samplesJarBytes();

        Api.Reply r = api.put("/v1/applications/uploads/code", jar, "application/java-archive");

        assertThat(r.status()).as("%s", r).isEqualTo(200);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jar));
        assertThat(r.json().path("code").path("sha256").asText()).isEqualTo(sha);
        assertThat(r.json().path("code").path("sizeBytes").asLong()).isEqualTo(jar.length);
        JsonNode stored = api.get("/v1/applications/uploads").json();
        assertThat(stored.path("code").path("sha256").asText()).isEqualTo(sha);
        assertThat(stored.path("code").path("sizeBytes").asLong()).isEqualTo(jar.length);
    }

    @Test
    void createdProcessIsActiveWithEndpointTokenAndTransitions() {
        assertThat(created.status()).isEqualTo(201);
        JsonNode p = created.json();
        assertThat(p.path("application").asText()).isEqualTo(APP);
        assertThat(p.path("id").asText()).matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
        assertThat(p.path("status").asText()).isEqualTo("ACTIVE");
        assertThat(p.path("endpoint").path("host").asText()).isEqualTo("127.0.0.1");
        assertThat(p.path("endpoint").path("port").asInt()).isBetween(1, 65535);
        assertThat(p.path("token").asText()).startsWith("praas1.");
        assertThat(p.path("backend").asText()).isEqualTo("local");
        assertThat(p.path("node").asText()).isEqualTo(cp.node());
        assertThat(p.path("resources").path("memoryMiB").asInt()).isEqualTo(256);
        List<String> statuses = new ArrayList<>();
        List<Instant> times = new ArrayList<>();
        p.path("transitions").forEach(t -> {
            statuses.add(t.path("status").asText());
            times.add(Instant.parse(t.path("at").asText()));
        });
        assertThat(statuses).containsExactly("ALLOCATING", "ACTIVE");
        assertThat(times.get(0)).isAfterOrEqualTo(beforeCreate.minusSeconds(1));
        assertThat(times.get(1)).isAfterOrEqualTo(times.get(0)).isBeforeOrEqualTo(Instant.now());
    }

    @Test
    void invokeThroughTheControlPlaneReturnsTheOutputAndNamesTheProcess() {
        byte[] input = "hello, control plane".getBytes(StandardCharsets.UTF_8);

        Api.Reply r = api.invoke(APP, "echo", "", input);

        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.body()).isEqualTo(input);
        assertThat(r.contentType()).isEqualTo("application/octet-stream");
        assertThat(r.headers().firstValue("X-Praas-Process")).hasValue(processId);
    }

    @Test
    void stickyInvokeRunsOnTheNamedProcess() {
        Api.Reply r = api.invoke(APP, "wordCount", "?process=" + processId,
                "sticky words sticky".getBytes(StandardCharsets.UTF_8));

        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Praas-Process")).hasValue(processId);
        assertThat(r.json().path("sticky").asLong()).isEqualTo(2);
        assertThat(r.json().path("words").asLong()).isEqualTo(1);
    }

    @Test
    void sessionOpenedDirectlyIsSharedWithTheControlPlane() {
        try (ProcessClient client = ControlPlanes.connect(created)) {
            ProcessSession session = client.openSession();
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(1L);

            Api.Reply r = api.invoke(APP, "counter", "?process=" + processId + "&session="
                    + URLEncoder.encode(session.id(), StandardCharsets.UTF_8), new byte[0]);

            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertThat(r.text()).isEqualTo("2");
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(3L);
        }
    }

    @Test
    void returnedTokenInvokesDirectlyOverTheDataPlane() {
        try (ProcessClient client = ControlPlanes.connect(created)) {
            assertThat(client.processId()).isEqualTo(processId);
            assertThat(client.invoke("echo", "direct", Codecs.utf8(), Codecs.utf8())).isEqualTo("direct");
        }
    }

    @Test
    void processesAreListedAndFilteredByStatus() {
        Api.Reply all = api.get("/v1/applications/" + APP + "/processes");
        Api.Reply active = api.get("/v1/applications/" + APP + "/processes?status=ACTIVE");
        Api.Reply stopped = api.get("/v1/applications/" + APP + "/processes?status=STOPPED");

        assertThat(all.status()).isEqualTo(200);
        assertThat(ids(all)).containsExactly(processId);
        assertThat(ids(active)).containsExactly(processId);
        assertThat(ids(stopped)).isEmpty();
        assertThat(all.json().get(0).has("token")).as("a listing shows no tokens").isFalse();
    }

    @Test
    void heartbeatMetricsReachTheRegistry() {
        long before = api.get("/v1/applications/" + APP + "/processes/" + processId).json()
                .path("metrics").path("invocations").asLong();
        try (ProcessClient client = ControlPlanes.connect(created)) {
            for (int i = 0; i < 5; i++) {
                client.invoke("noop", new byte[0]);
            }
        }

        JsonNode seen = eventually(Duration.ofSeconds(10),
                () -> api.get("/v1/applications/" + APP + "/processes/" + processId).json().path("metrics"),
                m -> m.path("invocations").asLong() >= before + 5,
                "the heartbeat reports the 5 new invocations");

        assertThat(seen.path("invocations").asLong()).isGreaterThanOrEqualTo(before + 5);
        assertThat(seen.path("lastActivity").asText()).isNotBlank();
    }

    @Test
    void stoppedProcessExitsAndRefusesStickyInvocations() {
        ControlPlanes.deploy(api, "stopper", Map.of());
        String id = ControlPlanes.createProcess(api, "stopper").json().path("id").asText();
        ProcessHandle os = ControlPlanes.osProcess(cp, "stopper", id);

        Api.Reply stopped = api.post("/v1/applications/stopper/processes/" + id + "/stop", null);

        assertThat(stopped.status()).as("%s", stopped).isEqualTo(200);
        assertThat(stopped.json().path("status").asText()).isEqualTo("STOPPED");
        assertThat(stopped.json().path("endpoint").isNull()).isTrue();
        eventually(Duration.ofSeconds(5), os::isAlive, alive -> !alive, "the OS process exits");
        assertThat(api.get("/v1/applications/stopper/processes/" + id).json().path("status").asText())
                .isEqualTo("STOPPED");
        assertJsonError(api.invoke("stopper", "echo", "?process=" + id, new byte[]{1}), 409, "CONFLICT");
    }

    @Test
    void deletedProcessStopsAndIsNotFound() {
        ControlPlanes.deploy(api, "deleter", Map.of());
        String id = ControlPlanes.createProcess(api, "deleter").json().path("id").asText();
        ProcessHandle os = ControlPlanes.osProcess(cp, "deleter", id);

        Api.Reply deleted = api.delete("/v1/applications/deleter/processes/" + id);

        assertThat(deleted.status()).as("%s", deleted).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();
        eventually(Duration.ofSeconds(5), os::isAlive, alive -> !alive, "the OS process exits");
        assertJsonError(api.get("/v1/applications/deleter/processes/" + id), 404, "NOT_FOUND");
        assertThat(ids(api.get("/v1/applications/deleter/processes"))).isEmpty();
    }

    @Test
    void deletedApplicationStopsItsProcessesAndIsNotFound() {
        ControlPlanes.deploy(api, "retired", Map.of());
        String id = ControlPlanes.createProcess(api, "retired").json().path("id").asText();
        ProcessHandle os = ControlPlanes.osProcess(cp, "retired", id);

        Api.Reply deleted = api.delete("/v1/applications/retired");

        assertThat(deleted.status()).as("%s", deleted).isEqualTo(204);
        eventually(Duration.ofSeconds(5), os::isAlive, alive -> !alive, "the OS process exits");
        assertJsonError(api.get("/v1/applications/retired"), 404, "NOT_FOUND");
        assertJsonError(api.get("/v1/applications/retired/processes/" + id), 404, "NOT_FOUND");
        assertThat(names(api.get("/v1/applications"))).doesNotContain("retired");
    }

    @Test
    void aDeletedApplicationLeavesNoCodeNotEvenJarsItReplaced() {
        ControlPlanes.deploy(api, "recoded", Map.of());
        assertThat(codeObjects("recoded")).hasSize(1);

        Api.Reply replaced = api.put("/v1/applications/recoded/code", SwapApp.jar(), "application/java-archive");

        assertThat(replaced.status()).as("%s", replaced).isEqualTo(200);
        String sha = replaced.json().path("code").path("sha256").asText();
        // Kept while the application lives: a start that read it before the upload may launch with it.
        assertThat(codeObjects("recoded")).hasSize(2).contains("apps/recoded/code/" + sha + ".jar");
        assertThat(api.delete("/v1/applications/recoded").status()).isEqualTo(204);
        assertThat(codeObjects("recoded")).isEmpty();
    }

    @Test
    void concurrentDeletesOfAnApplicationEachEndIt() throws Exception {
        ControlPlanes.deploy(api, "doomed", Map.of("maxProcesses", 3));
        for (int i = 0; i < 3; i++) {
            assertThat(ControlPlanes.createProcess(api, "doomed").status()).isEqualTo(201);
        }
        List<Api.Reply> replies = ControlPlanes.atOnce(3, i -> api.delete("/v1/applications/doomed"));

        // Each ends it, or finds it gone: none fails on a process another delete removed first.
        for (Api.Reply r : replies) {
            if (r.status() != 204) {
                assertJsonError(r, 404, "NOT_FOUND");
                assertThat(r.json().path("message").asText()).as("%s", r).contains("application").doesNotContain("process");
            }
        }
        assertJsonError(api.get("/v1/applications/doomed"), 404, "NOT_FOUND");
    }

    private static List<String> codeObjects(String app) {
        return ControlPlanes.storeKeys(cp, "apps/" + app + "/");
    }

    @Test
    void invokingAnApplicationWithoutProcessesAllocatesOne() {
        ControlPlanes.deploy(api, "lazy", Map.of());
        assertThat(ids(api.get("/v1/applications/lazy/processes"))).isEmpty();

        Api.Reply r = api.invoke("lazy", "echo", "", "wake up".getBytes(StandardCharsets.UTF_8));

        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.text()).isEqualTo("wake up");
        String allocated = r.headers().firstValue("X-Praas-Process").orElseThrow();
        assertThat(ids(api.get("/v1/applications/lazy/processes?status=ACTIVE"))).containsExactly(allocated);
    }

    @Test
    void aBurstOfFirstInvocationsSharesTheOneProcessItStarts() throws Exception {
        ControlPlanes.deploy(api, "burst", Map.of("maxProcesses", 2));
        List<Api.Reply> replies = ControlPlanes.atOnce(10,
                i -> api.invoke("burst", "echo", "", ("call " + i).getBytes(StandardCharsets.UTF_8)));

        // One process takes 64 calls at once: the ten wait for the one the first started.
        assertThat(replies).allSatisfy(r -> assertThat(r.status()).as("%s", r).isEqualTo(200));
        assertThat(replies.stream().map(r -> r.headers().firstValue("X-Praas-Process").orElseThrow()).distinct())
                .hasSize(1);
        assertThat(ids(api.get("/v1/applications/burst/processes"))).hasSize(1);
    }

    @Test
    void anInputUnderTheApisLimitThatNoFrameOfTheProcessHoldsIs413() {
        // The API takes 16 MiB; the process's frames are 16 MiB with their header.
        byte[] input = new byte[16 * 1024 * 1024 - 8];

        Api.Reply r = api.invoke(APP, "echo", "?process=" + processId, input);

        assertJsonError(r, 413, "PAYLOAD_TOO_LARGE");
        assertThat(api.invoke(APP, "echo", "?process=" + processId, new byte[] {1}).status()).isEqualTo(200);
    }

    @Test
    void processesBeyondMaxProcessesAreRefused() {
        // The application allows one process, and has it.
        Api.Reply second = api.post("/v1/applications/" + APP + "/processes", null);

        assertJsonError(second, 429, "OVERLOADED");
        assertThat(ids(api.get("/v1/applications/" + APP + "/processes"))).containsExactly(processId);
    }

    private static List<String> ids(Api.Reply list) {
        assertThat(list.status()).as("%s", list).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        list.json().forEach(p -> ids.add(p.path("id").asText()));
        return ids;
    }

    private static List<String> names(Api.Reply list) {
        assertThat(list.status()).as("%s", list).isEqualTo(200);
        List<String> names = new ArrayList<>();
        list.json().forEach(a -> names.add(a.path("name").asText()));
        return names;
    }
}
