package io.praas.deploy.knative;

import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.pkg.apis.Condition;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.serving.v1.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.praas.backend.BackendException;
import io.praas.backend.BackendException.Reason;
import io.praas.backend.BackendHandle;
import io.praas.backend.LaunchSpec;
import io.praas.backend.ProcessBackend;
import io.praas.backend.Resources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Runs each process as a Knative Service of its own: exactly one pod (min and max scale 1), the
 * process's resources as requests and limits, the launch environment, a TCP readiness probe on the
 * data-plane port. {@code start} completes when the Service is Ready, which is when the process
 * listens: a swap-in listens while it still restores its state and registers only once restored
 * (the control plane's allocation timeout bounds both); {@code stop} deletes it.
 * A swap-out ends the process, after which this backend deletes its Service (so Kubernetes does not
 * restart the container); the swap-in creates it again with the same process id and the snapshot to
 * restore in its environment. Clients reach the data plane at the pod's address directly (a TCP
 * protocol, not through Knative's HTTP routing), which the process announces when it registers.
 *
 * <pre>{@code
 * try (KubernetesClient k8s = new KubernetesClientBuilder().build();
 *      ProcessBackend knative = new KnativeBackend(KnativeSettings.from(Map.of("image", "registry/praas-process:0.1.0")), k8s)) {
 *     BackendHandle h = knative.start(spec).toCompletableFuture().join();   // the Service is Ready
 *     knative.stop(h).toCompletableFuture().join();                         // deleted
 * }
 * }</pre>
 */
public final class KnativeBackend implements ProcessBackend {
    private static final Logger LOG = LoggerFactory.getLogger(KnativeBackend.class);
    /** The process container's name. */
    public static final String CONTAINER = "praas";
    public static final String LABEL_APPLICATION = "praas.io/application";
    public static final String LABEL_PROCESS = "praas.io/process";
    public static final String LABEL_SERVICE = "praas.io/service";
    /** One start's Service and pods: an incarnation's handle names it, so nothing of an older one acts on a newer. */
    public static final String LABEL_INCARNATION = "praas.io/incarnation";
    /** Knative Service names become revision names with "-00001": 63 - 6. */
    static final int MAX_NAME = 57;

    private final KnativeSettings settings;
    private final KubernetesClient client;
    private final KnativeClient knative;
    private final boolean ownsClient;
    /** The incarnations this node started and has not stopped, by {@link #LABEL_INCARNATION}. */
    private final Map<String, BackendHandle> started = new ConcurrentHashMap<>();
    private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "praas-knative");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<Pod> pods;

    /**
     * @param settings   the backend's settings
     * @param client     the Kubernetes client (in-cluster or from a kubeconfig)
     * @param ownsClient whether {@link #close()} closes the client
     */
    public KnativeBackend(KnativeSettings settings, KubernetesClient client, boolean ownsClient) {
        this.settings = settings;
        this.client = client;
        this.knative = client.adapt(KnativeClient.class);
        this.ownsClient = ownsClient;
    }

    /** A backend on a client its caller closes. */
    public KnativeBackend(KnativeSettings settings, KubernetesClient client) {
        this(settings, client, false);
    }

    @Override
    public String name() {
        return "knative";
    }

    @Override
    public Resources caps() {
        return settings.caps();
    }

    /**
     * The Service name of a process: {@code praas-<application>-<process>-<hash>}, the readable part
     * shortened when too long. The hash of application and process keeps names apart that the
     * dashes would join ({@code shop}/{@code cart-1} and {@code shop-cart}/{@code 1}).
     */
    public static String serviceName(String application, String processId) {
        String name = "praas-" + application + "-" + processId;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((application + "/" + processId).getBytes(StandardCharsets.UTF_8));
            String prefix = name.length() <= MAX_NAME - 9 ? name : name.substring(0, MAX_NAME - 9).replaceAll("-+$", "");
            return prefix + "-" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public CompletionStage<BackendHandle> start(LaunchSpec spec) {
        if (!spec.resources().fitsIn(settings.caps())) {
            return CompletableFuture.failedFuture(new BackendException(Reason.INVALID_REQUEST, "resources " + spec.resources()
                    + " exceed the knative backend's caps " + settings.caps() + " (settings max-vcpu, max-memory-mib)"));
        }
        return CompletableFuture.supplyAsync(() -> run(spec), executor);
    }

    private BackendHandle run(LaunchSpec spec) {
        watchPods();
        String name = serviceName(spec.application(), spec.processId());
        String key = spec.application() + "/" + spec.processId();
        Resource<Service> resource = knative.services().inNamespace(settings.namespace()).withName(name);
        // A previous incarnation (swapped out, lost, or left by a stopped node) gives way to this one.
        started.values().removeIf(h -> h.id().equals(name));
        Service previous = call(key, "read", resource::get);
        if (previous != null) {
            Map<String, String> labels = previous.getMetadata().getLabels();
            if (labels == null || !spec.application().equals(labels.get(LABEL_APPLICATION))
                    || !spec.processId().equals(labels.get(LABEL_PROCESS))) {
                throw new BackendException(Reason.FAILED, "the Knative Service " + name + " that process " + key
                        + " would take belongs to " + (labels == null ? "nothing of PraaS" : labels.get(LABEL_APPLICATION)
                        + "/" + labels.get(LABEL_PROCESS)) + "; not replaced");
            }
            LOG.info("process {}: replacing its previous Service {}", key, name);
            deleteAndAwaitGone(key, resource);
        }
        String incarnation = java.util.UUID.randomUUID().toString();
        call(key, "create", () -> knative.services().inNamespace(settings.namespace()).resource(service(spec, name, incarnation))
                .create());
        LOG.info("process {}: Knative Service {}/{} created ({} vCPU, {} MiB)", key, settings.namespace(), name,
                spec.resources().vcpu(), spec.resources().memoryMiB());
        try {
            awaitReady(key, resource);
        } catch (RuntimeException e) {
            // Whatever ended the wait (Ready=False, the timeout, a failed read, an interrupt): the
            // Service must not stay to restart its process for good. (Not interrupted while it
            // deletes, or the client refuses.)
            boolean interrupted = Thread.interrupted();
            try {
                deleteIfIncarnation(settings.namespace(), name, incarnation);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            throw e;
        }
        BackendHandle handle = new BackendHandle(name(), name, Map.of("namespace", settings.namespace(),
                "incarnation", incarnation));
        started.put(incarnation, handle);
        LOG.info("process {}: Service {} Ready", key, name);
        return handle;
    }

    /**
     * Deletes the Service {@code name} if it is still the incarnation {@code incarnation} (null: any):
     * a stale handle or pod never deletes a newer incarnation's Service. False when it was not deleted.
     */
    private boolean deleteIfIncarnation(String namespace, String name, String incarnation) {
        Resource<Service> resource = knative.services().inNamespace(namespace).withName(name);
        try {
            Service now = resource.get();
            if (now == null) {
                return false;
            }
            String current = now.getMetadata().getLabels() == null ? null : now.getMetadata().getLabels().get(LABEL_INCARNATION);
            if (incarnation != null && !incarnation.equals(current)) {
                LOG.info("Service {}/{} is another incarnation now; not deleted", namespace, name);
                return false;
            }
            // The read's resource version as a precondition: a Service replaced in between is not deleted.
            knative.services().inNamespace(namespace).resource(now).lockResourceVersion(now.getMetadata().getResourceVersion())
                    .delete();
            return true;
        } catch (KubernetesClientException e) {
            LOG.warn("could not delete Service {}/{}: {}", namespace, name, e.getMessage());
            return false;
        }
    }

    /** The Knative Service of one process's incarnation. */
    Service service(LaunchSpec spec, String name, String incarnation) {
        Map<String, String> labels = new TreeMap<>(Map.of(LABEL_APPLICATION, spec.application(),
                LABEL_PROCESS, spec.processId(), LABEL_SERVICE, name, LABEL_INCARNATION, incarnation,
                "app.kubernetes.io/managed-by", "praas"));
        Map<String, String> serviceLabels = new TreeMap<>(labels);
        // Only reachable inside the cluster: the data plane is TCP to the pod, not HTTP through Knative.
        serviceLabels.put("networking.knative.dev/visibility", "cluster-local");
        Map<String, Quantity> size = Map.of(
                "cpu", new Quantity((long) Math.ceil(spec.resources().vcpu() * 1000) + "m"),
                "memory", new Quantity(spec.resources().memoryMiB() + "Mi"));
        Container container = new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(settings.image())
                .withImagePullPolicy(settings.imagePullPolicy())
                .withEnv(environment(spec))
                .addNewPort().withContainerPort(settings.dataPort()).withProtocol("TCP").endPort()
                .withNewResources().withRequests(size).withLimits(size).endResources()
                .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString(settings.dataPort())).endTcpSocket()
                .withPeriodSeconds(1).endReadinessProbe()
                .build();
        return new ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace(settings.namespace()).withLabels(serviceLabels).endMetadata()
                .withNewSpec()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .withAnnotations(Map.of("autoscaling.knative.dev/min-scale", "1", "autoscaling.knative.dev/max-scale", "1"))
                .endMetadata()
                .withNewSpec()
                .withContainerConcurrency(settings.containerConcurrency())
                .withServiceAccountName(settings.serviceAccount())
                .withContainers(container)
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /** The launch environment plus the container's bind address and port (sorted, so specs read alike). */
    List<EnvVar> environment(LaunchSpec spec) {
        Map<String, String> env = spec.containerEnvironment(settings.dataPort(), settings.controlPlane());
        if (settings.advertisePodIp()) {
            env.remove("PRAAS_ADVERTISE_HOST");
        }
        List<EnvVar> vars = new ArrayList<>();
        env.forEach((k, v) -> vars.add(new EnvVar(k, v, null)));
        if (settings.advertisePodIp()) {
            vars.add(new EnvVarBuilder().withName("PRAAS_ADVERTISE_HOST")
                    .withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef().endValueFrom().build());
        }
        return vars;
    }

    private void awaitReady(String key, Resource<Service> resource) {
        long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
        String last = "no status yet";
        while (true) {
            Service s = call(key, "read", resource::get);
            if (s == null) {
                throw new BackendException(Reason.FAILED, "the Knative Service of process " + key + " was deleted while it started");
            }
            Optional<Condition> ready = readyCondition(s);
            if (ready.isPresent()) {
                Condition c = ready.get();
                last = "Ready " + c.getStatus() + (c.getReason() == null ? "" : " " + c.getReason())
                        + (c.getMessage() == null ? "" : ": " + c.getMessage());
                if ("True".equals(c.getStatus())) {
                    return;
                }
                if ("False".equals(c.getStatus())) {
                    throw notReady(key, s.getMetadata().getName(), c);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new BackendException(Reason.FAILED, "the Knative Service of process " + key + " did not become Ready within "
                        + settings.readyTimeout().toSeconds() + " s (" + last + "); it was deleted");
            }
            sleep(key);
        }
    }

    static Optional<Condition> readyCondition(Service s) {
        return s.getStatus() == null || s.getStatus().getConditions() == null ? Optional.empty()
                : s.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst();
    }

    private static BackendException notReady(String key, String name, Condition c) {
        String why = (c.getReason() == null ? "" : c.getReason() + ": ") + (c.getMessage() == null ? "no message" : c.getMessage());
        String lower = why.toLowerCase(Locale.ROOT);
        Reason reason = lower.contains("insufficient") || lower.contains("unschedulable") || lower.contains("exceeded quota")
                ? Reason.CAPACITY
                : lower.contains("forbidden") ? Reason.PERMISSION : Reason.FAILED;
        return new BackendException(reason, "the Knative Service " + name + " of process " + key + " failed: " + why
                + "; it was deleted");
    }

    private void deleteAndAwaitGone(String key, Resource<Service> resource) {
        call(key, "delete", resource::delete);
        long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
        while (call(key, "read", resource::get) != null) {
            if (System.nanoTime() > deadline) {
                throw new BackendException(Reason.FAILED, "the previous Knative Service of process " + key
                        + " was not deleted within " + settings.readyTimeout().toSeconds() + " s");
            }
            sleep(key);
        }
    }

    private void sleep(String key) {
        try {
            Thread.sleep(settings.pollInterval().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(Reason.FAILED, "interrupted while starting process " + key);
        }
    }

    /** Calls the Kubernetes API, turning its errors into {@link BackendException}s that say what to do. */
    private <T> T call(String key, String action, Supplier<T> call) {
        try {
            return call.get();
        } catch (KubernetesClientException e) {
            String what = "cannot " + action + " the Knative Service of process " + key + " in namespace "
                    + settings.namespace() + ": ";
            throw switch (e.getCode()) {
                case 401, 403 -> new BackendException(Reason.PERMISSION, what + e.getMessage()
                        + " (the control plane's service account needs the Role in knative-deploy/k8s/)", e);
                case 404 -> new BackendException(Reason.FAILED, what + e.getMessage()
                        + " (is Knative Serving installed? the API serving.knative.dev/v1 was not found)", e);
                case 400, 422 -> new BackendException(Reason.INVALID_REQUEST, what + e.getMessage(), e);
                case 429 -> new BackendException(Reason.CAPACITY, what + e.getMessage(), e);
                case 0 -> new BackendException(Reason.FAILED, "cannot reach the Kubernetes API (" + action + ", process "
                        + key + "): " + e.getMessage(), e);
                default -> new BackendException(Reason.FAILED, what + e.getMessage(), e);
            };
        }
    }

    @Override
    public CompletionStage<Void> stop(BackendHandle handle) {
        return CompletableFuture.runAsync(() -> {
            String incarnation = handle.attributes().get("incarnation");
            String namespace = handle.attributes().getOrDefault("namespace", settings.namespace());
            if (incarnation == null) { // a handle from before incarnations: the Service by name
                started.values().removeIf(h -> h.id().equals(handle.id()));
                call(handle.id(), "delete", () -> knative.services().inNamespace(namespace).withName(handle.id()).delete());
                LOG.info("Knative Service {}/{} deleted", namespace, handle.id());
                return;
            }
            started.remove(incarnation);
            if (deleteIfIncarnation(namespace, handle.id(), incarnation)) {
                LOG.info("Knative Service {}/{} deleted", namespace, handle.id());
            }
        }, executor);
    }

    @Override
    public void onExit(ExitListener listener) {
        exitListeners.add(listener);
    }

    /**
     * Watches the pods of the processes' Services: a process container that ended (its process
     * exited after a swap-out, or crashed) has its Service deleted, so Kubernetes does not start it
     * again with the old environment, and the control plane is told. Best effort: the control
     * plane also sees the process's control channel close.
     */
    private synchronized void watchPods() {
        if (pods != null) {
            return;
        }
        try {
            pods = client.pods().inNamespace(settings.namespace()).withLabel(LABEL_SERVICE).inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod pod) {
                    check(pod);
                }

                @Override
                public void onUpdate(Pod oldPod, Pod pod) {
                    check(pod);
                }

                @Override
                public void onDelete(Pod pod, boolean unknownFinalState) {
                }
            }, 0);
        } catch (KubernetesClientException e) {
            LOG.warn("cannot watch the processes' pods in namespace {} ({}); exits are noticed through the control channel only",
                    settings.namespace(), e.getMessage());
        }
    }

    private void check(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return;
        }
        boolean ended = pod.getStatus().getContainerStatuses().stream()
                .filter(c -> CONTAINER.equals(c.getName()))
                .anyMatch(KnativeBackend::terminated);
        if (!ended) {
            return;
        }
        Map<String, String> labels = pod.getMetadata().getLabels();
        String name = labels.get(LABEL_SERVICE);
        String incarnation = labels.get(LABEL_INCARNATION);
        BackendHandle handle = incarnation == null ? null : started.remove(incarnation);
        if (handle == null) {
            return; // not started by this node, already stopped, or an older incarnation's pod
        }
        String application = labels.get(LABEL_APPLICATION);
        String processId = labels.get(LABEL_PROCESS);
        executor.execute(() -> {
            LOG.info("process {}/{} ended in pod {}; deleting its Service {}", application, processId,
                    pod.getMetadata().getName(), name);
            deleteIfIncarnation(handle.attributes().get("namespace"), name, incarnation);
            exitListeners.forEach(l -> l.exited(application, processId, handle));
        });
    }

    private static boolean terminated(ContainerStatus c) {
        return c.getState() != null && c.getState().getTerminated() != null
                || c.getLastState() != null && c.getLastState().getTerminated() != null;
    }

    /**
     * Stops watching, deletes the Services of the processes this node started that still run (their
     * processes stop with the node: a process ends when its control channel is lost, and Kubernetes
     * would start it again and again), and closes the client if this backend made it.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (pods != null) {
                pods.close();
            }
        }
        executor.shutdownNow();
        try {
            // A start that the shutdown interrupts deletes its Service: on the client, still open.
            if (!executor.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warn("starts still under way after 10 s; closing the Kubernetes client");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Then the Services of the processes still running, those of starts that ended meanwhile too.
        for (String incarnation : List.copyOf(started.keySet())) {
            BackendHandle h = started.remove(incarnation);
            if (h != null && deleteIfIncarnation(h.attributes().get("namespace"), h.id(), incarnation)) {
                LOG.info("Knative Service {} deleted as the control plane stops", h.id());
            }
        }
        if (ownsClient) {
            client.close();
        }
    }
}
