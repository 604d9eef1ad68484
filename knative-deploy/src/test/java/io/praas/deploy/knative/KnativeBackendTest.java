package io.praas.deploy.knative;

import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.pkg.apis.Condition;
import io.fabric8.knative.pkg.apis.ConditionBuilder;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.serving.v1.ServiceStatusBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.praas.backend.BackendException;
import io.praas.backend.BackendHandle;
import io.praas.backend.BackendProvider;
import io.praas.backend.LaunchSpec;
import io.praas.backend.Resources;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The Knative backend against fabric8's Kubernetes mock server in CRUD mode, on loopback. */
class KnativeBackendTest {
    private static final String NS = "praas";
    private KubernetesMockServer server;
    private NamespacedKubernetesClient client;
    private KnativeClient knative;
    private KnativeBackend backend;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        knative = client.adapt(KnativeClient.class);
        backend = backend(Map.of());
    }

    @AfterEach
    void stop() {
        backend.close();
        client.close();
        server.destroy();
    }

    private KnativeBackend backend(Map<String, String> extra) {
        Map<String, String> s = new HashMap<>(Map.of("namespace", NS, "image", "registry.example/praas-process:0.1.0",
                "container-concurrency", "16", "poll-interval-ms", "20", "service-account", "praas-process"));
        s.putAll(extra);
        return new KnativeBackend(KnativeSettings.from(s), client);
    }

    private static LaunchSpec spec(String process) {
        return new LaunchSpec("shop", process, new Resources(1.5, 1024), "s3://praas/code/shop.jar", Map.of(
                "PRAAS_APPLICATION", "shop", "PRAAS_PROCESS_ID", process, "PRAAS_CONTROL_PLANE", "10.0.0.5:7000",
                "PRAAS_CONTROL_TOKEN", "tok", "PRAAS_HOST", "127.0.0.1", "PRAAS_PORT", "0"));
    }

    /** The Service name of the shop application's process {@code process}. */
    private static String svc(String process) {
        return KnativeBackend.serviceName("shop", process);
    }

    private Service service(String name) {
        return knative.services().inNamespace(NS).withName(name).get();
    }

    private void setReady(String name, String status, String reason, String message) {
        Service s = service(name);
        Condition c = new ConditionBuilder().withType("Ready").withStatus(status).withReason(reason).withMessage(message).build();
        s.setStatus(new ServiceStatusBuilder().withConditions(c).build());
        knative.services().inNamespace(NS).resource(s).update();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Starts a process and makes its Service Ready the way Knative would. */
    private BackendHandle startReady(String process) throws Exception {
        CompletableFuture<BackendHandle> started = backend.start(spec(process)).toCompletableFuture();
        String name = KnativeBackend.serviceName("shop", process);
        await(() -> service(name) != null);
        setReady(name, "True", null, null);
        return started.get(10, TimeUnit.SECONDS);
    }

    private static Map<String, String> env(Container c) {
        Map<String, String> env = new HashMap<>();
        for (EnvVar v : c.getEnv()) {
            env.put(v.getName(), v.getValue() != null ? v.getValue() : "fieldRef:" + v.getValueFrom().getFieldRef().getFieldPath());
        }
        return env;
    }

    @Test
    void theServiceRunsOnePodOfTheProcessWithItsResourcesEnvironmentAndProbe() throws Exception {
        BackendHandle h = startReady("cart-1");

        assertThat(h.backend()).isEqualTo("knative");
        assertThat(h.id()).isEqualTo(svc("cart-1"));
        assertThat(h.attributes()).containsEntry("namespace", NS);
        Service s = service(svc("cart-1"));
        assertThat(s.getMetadata().getLabels()).containsEntry("praas.io/application", "shop")
                .containsEntry("praas.io/process", "cart-1").containsEntry("networking.knative.dev/visibility", "cluster-local");
        assertThat(s.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("autoscaling.knative.dev/min-scale", "1").containsEntry("autoscaling.knative.dev/max-scale", "1");
        assertThat(s.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("praas.io/service", svc("cart-1"));
        assertThat(s.getSpec().getTemplate().getSpec().getContainerConcurrency()).isEqualTo(16L);
        assertThat(s.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("praas-process");
        Container c = s.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getName()).isEqualTo("praas");
        assertThat(c.getImage()).isEqualTo("registry.example/praas-process:0.1.0");
        assertThat(c.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8000));
        assertThat(c.getResources().getRequests()).containsEntry("cpu", new Quantity("1500m")).containsEntry("memory", new Quantity("1024Mi"));
        assertThat(c.getResources().getLimits()).isEqualTo(c.getResources().getRequests());
        assertThat(c.getReadinessProbe().getTcpSocket().getPort().getIntVal()).isEqualTo(8000);
        assertThat(env(c)).containsEntry("PRAAS_PROCESS_ID", "cart-1").containsEntry("PRAAS_CONTROL_PLANE", "10.0.0.5:7000")
                .containsEntry("PRAAS_CONTROL_TOKEN", "tok").containsEntry("PRAAS_APP_CODE", "s3://praas/code/shop.jar")
                .containsEntry("PRAAS_HOST", "0.0.0.0").containsEntry("PRAAS_PORT", "8000")
                .doesNotContainKey("PRAAS_ADVERTISE_HOST");
    }

    @Test
    void startWaitsWhileReadyIsUnknownAndCompletesWhenItIsTrue() throws Exception {
        CompletableFuture<BackendHandle> started = backend.start(spec("p1")).toCompletableFuture();
        await(() -> service(svc("p1")) != null);
        setReady(svc("p1"), "Unknown", "RevisionMissing", "Configuration is waiting for a Revision to become ready.");
        Thread.sleep(200);
        assertThat(started).isNotDone();

        setReady(svc("p1"), "True", null, null);

        assertThat(started.get(10, TimeUnit.SECONDS).id()).isEqualTo(svc("p1"));
    }

    @Test
    void aServiceThatFailsIsDeletedAndTheErrorSaysWhy() throws Exception {
        CompletableFuture<BackendHandle> started = backend.start(spec("p2")).toCompletableFuture();
        await(() -> service(svc("p2")) != null);

        setReady(svc("p2"), "False", "RevisionFailed", "Revision \"praas-shop-p2-00001\" failed with message: "
                + "0/3 nodes are available: 3 Insufficient memory.");

        Throwable t = catchThrowable(() -> started.get(10, TimeUnit.SECONDS));
        assertThat(t.getCause()).isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.reason()).isEqualTo(BackendException.Reason.CAPACITY);
            assertThat(e.getMessage()).contains(svc("p2"), "RevisionFailed", "Insufficient memory", "deleted");
        });
        await(() -> service(svc("p2")) == null);
    }

    @Test
    void aServiceNeverReadyIsDeletedAfterTheTimeout() throws Exception {
        try (KnativeBackend b = backend(Map.of("ready-timeout-seconds", "1"))) {
            Throwable t = catchThrowable(() -> b.start(spec("p3")).toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertThat(t.getCause()).isInstanceOfSatisfying(BackendException.class, e -> {
                assertThat(e.reason()).isEqualTo(BackendException.Reason.FAILED);
                assertThat(e.getMessage()).contains("did not become Ready within 1 s");
            });
        }
        assertThat(service(svc("p3"))).isNull();
    }

    @Test
    void stopDeletesTheServiceAndStoppingAgainIsFine() throws Exception {
        BackendHandle h = startReady("p4");

        backend.stop(h).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(service(svc("p4"))).isNull();
        backend.stop(h).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aSwapInReplacesTheServiceWithTheSameProcessIdAndTheSnapshotToRestore() throws Exception {
        startReady("p5");
        String firstUid = service(svc("p5")).getMetadata().getUid();

        Map<String, String> env = new HashMap<>(spec("p5").environment());
        env.put("PRAAS_SWAP_IN_MANIFEST", "shop/p5/gen-1/manifest.json");
        LaunchSpec swapIn = new LaunchSpec("shop", "p5", new Resources(1.5, 1024), "s3://praas/code/shop.jar", env);
        CompletableFuture<BackendHandle> again = backend.start(swapIn).toCompletableFuture();
        await(() -> {
            Service now = service(svc("p5"));
            return now != null && !firstUid.equals(now.getMetadata().getUid());
        });
        setReady(svc("p5"), "True", null, null);

        assertThat(again.get(10, TimeUnit.SECONDS).id()).isEqualTo(svc("p5"));
        assertThat(env(service(svc("p5")).getSpec().getTemplate().getSpec().getContainers().get(0)))
                .containsEntry("PRAAS_PROCESS_ID", "p5").containsEntry("PRAAS_SWAP_IN_MANIFEST", "shop/p5/gen-1/manifest.json");
    }

    @Test
    void aProcessThatEndsHasItsServiceDeletedAndTheControlPlaneTold() throws Exception {
        List<String> exits = new CopyOnWriteArrayList<>();
        backend.onExit((application, processId, handle) -> exits.add(application + "/" + processId + " " + handle.id()));
        BackendHandle h = startReady("p6");

        // The pod Knative made for the Service; its container exits (after a swap-out).
        endedPod("praas-shop-p6-00001-deployment-x", service(svc("p6")));

        await(() -> !exits.isEmpty());
        assertThat(exits).containsExactly("shop/p6 " + svc("p6"));
        await(() -> service(svc("p6")) == null);
    }

    /** A pod of {@code s}'s template (its labels), whose process container has ended. */
    private void endedPod(String podName, Service s) {
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(podName)
                .withLabels(s.getSpec().getTemplate().getMetadata().getLabels())
                .endMetadata()
                .withNewStatus().addNewContainerStatus().withName("praas").withNewState().withNewTerminated().withExitCode(0)
                .endTerminated().endState().endContainerStatus().endStatus()
                .build()).create();
    }

    @Test
    void anOlderIncarnationsPodOrHandleNeverEndsTheNewOne() throws Exception {
        List<String> exits = new CopyOnWriteArrayList<>();
        backend.onExit((application, processId, handle) -> exits.add(application + "/" + processId));
        BackendHandle first = startReady("p8");
        Service firstService = service(svc("p8"));
        endedPod("praas-shop-p8-00001-deployment-x", firstService); // it swapped out
        await(() -> exits.size() == 1);
        await(() -> service(svc("p8")) == null);

        BackendHandle second = startReady("p8"); // swapped in: a new incarnation, a new handle
        assertThat(second).isNotEqualTo(first);
        // The old pod lingers and changes again; a stale stop of the old handle comes late.
        endedPod("praas-shop-p8-00001-deployment-y", firstService);
        backend.stop(first).toCompletableFuture().get(10, TimeUnit.SECONDS);
        Thread.sleep(300); // the watch has seen the pod

        assertThat(service(svc("p8"))).as("the new incarnation's Service").isNotNull();
        assertThat(exits).containsExactly("shop/p8");
        backend.stop(second).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(service(svc("p8"))).isNull();
    }

    @Test
    void namesOfProcessesThatTheDashesWouldJoinStayApartAndAForeignServiceIsNotReplaced() throws Exception {
        assertThat(KnativeBackend.serviceName("shop", "cart-1")).isNotEqualTo(KnativeBackend.serviceName("shop-cart", "1"));
        // A Service of another owner under the name a process would take.
        knative.services().inNamespace(NS).resource(new io.fabric8.knative.serving.v1.ServiceBuilder()
                .withNewMetadata().withName(svc("p9")).withLabels(Map.of("praas.io/application", "other",
                        "praas.io/process", "x")).endMetadata().build()).create();

        Throwable t = catchThrowable(() -> backend.start(spec("p9")).toCompletableFuture().join());

        assertThat(t.getCause()).isInstanceOf(BackendException.class).hasMessageContaining("belongs to other/x");
        assertThat(service(svc("p9")).getMetadata().getLabels()).containsEntry("praas.io/application", "other");
    }

    @Test
    void aStartThatEndsWhileItWaitsForReadyDeletesItsServiceBeforeTheClientCloses() throws Exception {
        // A backend that owns its client, as the control plane's does: it closes it in close().
        KnativeBackend owning = new KnativeBackend(KnativeSettings.from(Map.of("namespace", NS, "image",
                "registry.example/praas-process:0.1.0", "poll-interval-ms", "20")), server.createClient(), true);
        CompletableFuture<BackendHandle> starting = owning.start(spec("p7")).toCompletableFuture();
        await(() -> service(svc("p7")) != null);

        owning.close(); // interrupts the wait

        assertThat(catchThrowable(() -> starting.get(10, TimeUnit.SECONDS))).isInstanceOf(java.util.concurrent.ExecutionException.class);
        await(() -> service(svc("p7")) == null);
    }

    @Test
    void resourcesOverTheCapsAreRefused() {
        LaunchSpec big = new LaunchSpec("shop", "big", new Resources(8, 1024), "s3://x/y.jar", Map.of());
        Throwable t = catchThrowable(() -> backend.start(big).toCompletableFuture().join());
        assertThat(t).isInstanceOf(CompletionException.class);
        assertThat(t.getCause()).isInstanceOfSatisfying(BackendException.class,
                e -> assertThat(e.reason()).isEqualTo(BackendException.Reason.INVALID_REQUEST));
        assertThat(backend.caps()).isEqualTo(new Resources(4, 8192));
    }

    @Test
    void thePodIpCanBeAdvertisedThroughTheDownwardApi() {
        try (KnativeBackend b = backend(Map.of("advertise-pod-ip", "true"))) {
            Map<String, String> env = new HashMap<>();
            b.environment(spec("p7")).forEach(v -> env.put(v.getName(),
                    v.getValue() != null ? v.getValue() : v.getValueFrom().getFieldRef().getFieldPath()));
            assertThat(env).containsEntry("PRAAS_ADVERTISE_HOST", "status.podIP");
        }
    }

    @Test
    void longNamesAreShortenedToAValidServiceName() {
        String name = KnativeBackend.serviceName("a-rather-long-application-name", "and-an-even-longer-process-id-123");
        assertThat(name).hasSizeLessThanOrEqualTo(57).matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?").startsWith("praas-a-rather-long");
        assertThat(name).isNotEqualTo(KnativeBackend.serviceName("a-rather-long-application-name", "and-an-even-longer-process-id-124"));
    }

    @Test
    void theProviderIsFoundByNameAndNamesBadSettings() {
        BackendProvider p = BackendProvider.named("knative").orElseThrow();
        assertThatThrownBy(() -> p.create(Map.of("namespace", "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'image' is required");
        assertThatThrownBy(() -> p.create(Map.of("image", "i", "replicas", "2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown settings [replicas]");
    }
}
