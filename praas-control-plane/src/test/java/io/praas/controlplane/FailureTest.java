package io.praas.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.protocol.ErrorCode;
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
import java.util.concurrent.TimeUnit;

import static io.praas.controlplane.Api.assertJsonError;
import static io.praas.controlplane.ControlPlanes.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.SoftAssertions.assertSoftly;

/**
 * Processes that die: a process killed with SIGKILL becomes FAILED, its clients get errors rather
 * than hangs, and its application allocates anew; a process that stops sending heartbeats fails too.
 */
class FailureTest {
    private static final String APP = "fragile";
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Api api;
    private static String killed;
    private static ProcessClient directClient;

    @BeforeAll
    static void startAndKillAProcess() {
        ControlPlanes.Options options = ControlPlanes.options(dataDir);
        options.heartbeatTimeout = HEARTBEAT_TIMEOUT;
        cp = ControlPlane.start(options.config());
        api = Api.admin(cp);
        ControlPlanes.deploy(api, APP, Map.of("maxProcesses", 1));
        Api.Reply created = ControlPlanes.createProcess(api, APP);
        killed = created.json().path("id").asText();
        directClient = ControlPlanes.connect(created);
        assertThat(directClient.invoke("echo", new byte[]{1})).containsExactly(1);
        assertThat(api.invoke(APP, "echo", "?process=" + killed, new byte[]{2}).status()).isEqualTo(200);

        ControlPlanes.osProcess(cp, APP, killed).destroyForcibly(); // SIGKILL
    }

    @AfterAll
    static void stop() {
        if (directClient != null) {
            directClient.close();
        }
        if (cp != null) {
            cp.close();
        }
    }

    @Test
    void killedProcessBecomesFailedWithAReason() {
        JsonNode p = awaitFailed(killed);

        assertThat(p.path("failure").asText()).isIn("the process exited", "its control channel closed");
        assertThat(p.path("endpoint").isNull()).isTrue();
        List<String> statuses = new ArrayList<>();
        p.path("transitions").forEach(t -> statuses.add(t.path("status").asText()));
        assertThat(statuses).containsExactly("ALLOCATING", "ACTIVE", "FAILED");
    }

    @Test
    void directClientOfAKilledProcessGetsAnErrorNotAHang() {
        long start = System.nanoTime();

        PraasException e = catchThrowableOfType(PraasException.class, () -> directClient.invoke("echo", new byte[]{3}));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(directClient.isOpen()).isFalse();
    }

    @Test
    void stickyInvokeOfAFailedProcessIs503Quickly() {
        awaitFailed(killed);

        Api.Reply r = api.invoke(APP, "echo", "?process=" + killed, new byte[]{4});

        assertJsonError(r, 503, "PROCESS_UNAVAILABLE");
        assertThat(r.took()).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void applicationAllocatesANewProcessAfterAFailure() {
        awaitFailed(killed); // and with maxProcesses 1, its slot is free again

        Api.Reply r = api.invoke(APP, "echo", "", "again".getBytes(StandardCharsets.UTF_8));

        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.text()).isEqualTo("again");
        String replacement = r.headers().firstValue("X-Praas-Process").orElseThrow();
        assertThat(replacement).isNotEqualTo(killed);
        assertThat(api.get("/v1/applications/" + APP + "/processes/" + replacement).json().path("status").asText())
                .isEqualTo("ACTIVE");
    }

    @Test
    void processThatStopsSendingHeartbeatsBecomesFailed() throws Exception {
        ControlPlanes.deploy(api, "frozen", Map.of());
        String id = ControlPlanes.createProcess(api, "frozen").json().path("id").asText();
        ProcessHandle os = ControlPlanes.osProcess(cp, "frozen", id);
        Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(os.pid())).start();
        assertThat(stop.waitFor(5, TimeUnit.SECONDS) && stop.exitValue() == 0).as("kill -STOP").isTrue();
        try {
            JsonNode p = eventually(HEARTBEAT_TIMEOUT.multipliedBy(3),
                    () -> api.get("/v1/applications/frozen/processes/" + id).json(),
                    n -> n.path("status").asText().equals("FAILED"), "the frozen process becomes FAILED");

            assertThat(p.path("failure").asText()).startsWith("no heartbeat");
        } finally {
            os.destroyForcibly(); // SIGKILL also ends a stopped process
        }
    }

    @Test
    void processWhoseCodeCannotBeDownloadedFailsAndFreesItsSlot() {
        ControlPlanes.deploy(api, "lost-code", Map.of("maxProcesses", 1));
        // The object store loses the jar; this node has never cached it.
        cp.objectStore().delete(cp.lifecycle().application("lost-code").code().objectKey());

        Api.Reply r = api.post("/v1/applications/lost-code/processes", null);

        List<String> occupying = new ArrayList<>();
        api.get("/v1/applications/lost-code/processes").json().forEach(p -> {
            if (!List.of("FAILED", "STOPPED", "DELETED").contains(p.path("status").asText())) {
                occupying.add(p.path("id").asText() + " " + p.path("status").asText());
            }
        });
        assertSoftly(soft -> {
            soft.assertThat(occupying).as("processes still holding a slot").isEmpty();
            soft.assertThat(r.status()).as("%s", r).isEqualTo(503);
            soft.assertThat(r.error()).isEqualTo("PROCESS_UNAVAILABLE");
        });
    }

    private static JsonNode awaitFailed(String id) {
        return eventually(Duration.ofSeconds(10), () -> api.get("/v1/applications/" + APP + "/processes/" + id).json(),
                p -> p.path("status").asText().equals("FAILED"), "process " + id + " becomes FAILED");
    }
}
