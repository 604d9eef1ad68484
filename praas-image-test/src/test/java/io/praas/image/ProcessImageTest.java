package io.praas.image;

import com.fasterxml.jackson.core.type.TypeReference;
import io.praas.backend.BackendHandle;
import io.praas.client.ApplicationSpec;
import io.praas.client.InvokeOptions;
import io.praas.client.InvokeResult;
import io.praas.client.Praas;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessInfo;
import io.praas.client.ProcessSession;
import io.praas.client.ProcessSpec;
import io.praas.client.ProcessStatus;
import io.praas.client.Resources;
import io.praas.codec.Codec;
import io.praas.codec.Codecs;
import io.praas.controlplane.ControlPlane;
import io.praas.controlplane.ControlPlaneConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The process image under a real control plane (embedded S3-compatible store, Hazelcast member,
 * REST API, all on loopback) whose backend starts each process as a container of the image with
 * host networking ({@link ContainerBackend}): the container fetches the application's jar from the
 * object store, registers, serves invocations through the control plane and directly over the data
 * plane, and swaps out to the store (the container exits) and back in (a new container, the same
 * state and sessions).
 */
class ProcessImageTest {
    private static final String APP = "samples";
    private static final String ADMIN_KEY = "image-test-admin-key";
    private static final Codec<Map<String, Long>> COUNTS =
            Codecs.json(new TypeReference<Map<String, Long>>() { }.getType());
    /** Longest wait for a container to do what it was asked. */
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    static Path dataDir;
    private static ContainerBackend backend;
    private static ControlPlane controlPlane;
    private static Praas praas;
    /** One process that the serving tests share. */
    private static ProcessInfo served;

    @BeforeAll
    static void controlPlaneWithProcessContainers() {
        DockerImages.require(DockerImages.PROCESS);
        backend = new ContainerBackend(DockerImages.PROCESS);
        int block = ThreadLocalRandom.current().nextInt(100);
        controlPlane = ControlPlane.start(ControlPlaneConfig.defaults(dataDir).with(Map.of(
                "httpPort", 0, "controlPort", 0, "hazelcastPort", 17000 + block * 10,
                "clusterName", "image-test-" + block, "adminKey", ADMIN_KEY)), backend);
        praas = Praas.builder().url(controlPlane.apiUrl()).adminKey(ADMIN_KEY).timeout(Duration.ofSeconds(90)).build();
        praas.createApplication(ApplicationSpec.named(APP).withResources(new Resources(1, 512)).withMaxProcesses(4));
        praas.uploadCode(APP, samplesJar());
        served = praas.createProcess(APP, ProcessSpec.named("served"));
    }

    @AfterAll
    static void stopAll() {
        if (praas != null) {
            praas.close();
        }
        if (controlPlane != null) {
            controlPlane.close(); // closes the backend: stops and removes every container it started
        } else if (backend != null) {
            backend.close();
        }
    }

    @Test
    void aProcessContainerRegistersAndBecomesActive() {
        assertThat(served.status()).isEqualTo(ProcessStatus.ACTIVE);
        assertThat(served.endpoint().host()).isEqualTo("127.0.0.1");
        assertThat(served.endpoint().port()).isPositive();
        BackendHandle handle = handleOf("served");
        assertThat(handle.backend()).isEqualTo("container");
        assertThat(backend.isRunning(handle)).as("container %s runs", handle.id()).isTrue();
        assertThat(backend.imageOf(handle)).isEqualTo(DockerImages.PROCESS);
        // The jar came from the object store (PRAAS_APP_CODE) into the container's /tmp.
        assertThat(backend.logs(handle)).containsPattern("loaded \\d+ functions from /tmp/praas-app-[^ ]+\\.jar: \\[echo,");
    }

    @Test
    void aContainerServesInvocationsThroughTheControlPlane() {
        InvokeResult r = praas.invoke(APP, "echo", utf8("through the control plane"),
                InvokeOptions.DEFAULT.onProcess(served.id()));

        assertThat(r.outputText()).isEqualTo("through the control plane");
        assertThat(r.process()).isEqualTo(served.id());
    }

    @Test
    void aContainerServesInvocationsDirectlyOverTheDataPlane() {
        try (ProcessClient client = praas.connect(served)) {
            assertThat(client.invoke("echo", "over the data plane", Codecs.utf8(), Codecs.utf8()))
                    .isEqualTo("over the data plane");
            ProcessSession session = client.openSession();
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(1L);
            assertThat(session.invoke("counter", "41", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(42L);
        }
    }

    @Test
    void aSwappedOutContainerExitsAndANewOneSwapsInWithTheSameState() {
        praas.createProcess(APP, ProcessSpec.named("keeper"));
        String sessionId;
        try (ProcessClient client = praas.connect(APP, "keeper")) {
            ProcessSession session = client.openSession();
            sessionId = session.id();
            assertThat(session.invoke("counter", "5", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(5L);
            session.invoke("wordCount", "the fox", Codecs.utf8(), COUNTS);
        }
        BackendHandle before = handleOf("keeper");

        ProcessInfo out = praas.swapOut(APP, "keeper");

        assertThat(out.status()).isEqualTo(ProcessStatus.SWAPPED_OUT);
        assertThat(out.snapshot().generation()).isEqualTo(1);
        assertThat(out.snapshot().snapshotBytes()).isPositive();
        awaitTrue("the swapped-out container exits", () -> !backend.isRunning(before));
        awaitTrue("the container's exit code is known", () -> backend.exitCode(before).isPresent());
        assertThat(backend.exitCode(before)).as("exit code; its log:%n%s", backend.logs(before)).contains(0L);

        ProcessInfo in = praas.swapIn(APP, "keeper");

        assertThat(in.status()).isEqualTo(ProcessStatus.ACTIVE);
        BackendHandle after = handleOf("keeper");
        assertThat(after.id()).as("a new container").isNotEqualTo(before.id());
        assertThat(backend.isRunning(after)).isTrue();
        try (ProcessClient client = praas.connect(APP, "keeper")) {
            ProcessSession session = client.resumeSession(sessionId);
            assertThat(session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class))).isEqualTo(6L);
            assertThat(session.invoke("wordCount", "fox", Codecs.utf8(), COUNTS)).isEqualTo(Map.of("fox", 2L));
        }
        InvokeResult viaControlPlane = praas.invoke(APP, "counter", utf8(""),
                InvokeOptions.DEFAULT.onProcess("keeper").inSession(sessionId));
        assertThat(viaControlPlane.outputText()).isEqualTo("7");
    }

    @Test
    void aDeletedProcessLeavesNoRunningContainer() {
        praas.createProcess(APP, ProcessSpec.named("brief"));
        BackendHandle handle = handleOf("brief");
        assertThat(backend.isRunning(handle)).isTrue();

        praas.deleteProcess(APP, "brief");

        awaitTrue("the deleted process's container is gone", () -> !backend.isRunning(handle));
    }

    private static BackendHandle handleOf(String processId) {
        BackendHandle handle = controlPlane.lifecycle().process(APP, processId).handle();
        assertThat(handle).as("backend handle of %s", processId).isNotNull();
        return handle;
    }

    /** The samples jar of this build (echo, noop, counter, wordCount). */
    private static Path samplesJar() {
        Path jar = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(Path::of)
                .filter(p -> p.getFileName() != null && p.getFileName().toString().matches("samples-.*\\.jar"))
                .findFirst()
                .orElse(Path.of("..", "samples", "target", "samples-0.1.0-SNAPSHOT.jar"));
        assertThat(jar).as("the samples jar (mvn package builds it)").isRegularFile();
        return jar;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + PATIENCE + ": " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting: " + what, e);
            }
        }
    }
}
