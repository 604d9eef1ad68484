package io.praas.controlplane;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import io.praas.controlplane.registry.ProcessRecord;
import io.praas.controlplane.api.RestApi;
import io.praas.controlplane.backend.LocalBackend;
import io.praas.controlplane.control.ControlServer;
import io.praas.controlplane.control.WorldPublisher;
import io.praas.controlplane.lifecycle.ProcessLifecycle;
import io.praas.controlplane.registry.Registry;
import io.praas.controlplane.routing.InvocationRouter;
import io.praas.controlplane.storage.EmbeddedS3;
import io.praas.controlplane.storage.ObjectStore;
import io.praas.process.storage.S3Settings;
import io.praas.backend.BackendProvider;
import io.praas.backend.ProcessBackend;
import io.praas.protocol.Message;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One control-plane node: the Hazelcast member with the registry, the object store (embedded
 * S3Proxy by default), the process backend (local by default), the control channel for processes,
 * the invocation router and the REST API.
 *
 * <pre>{@code
 * try (ControlPlane cp = ControlPlane.start(ControlPlaneConfig.defaults(Path.of("data")))) {
 *     System.out.println("API at " + cp.apiUrl());
 * }
 * }</pre>
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
    private static final String NODE_ATTRIBUTE = "praas.node";
    /** The nodes of this JVM by Hazelcast instance name, for tasks sent by other nodes. */
    private static final Map<String, ControlPlane> LOCAL_NODES = new java.util.concurrent.ConcurrentHashMap<>();

    private final ControlPlaneConfig config;
    private final String node;
    private final String adminKey;
    private Vertx vertx;
    private HazelcastInstance hazelcast;
    private Registry registry;
    private EmbeddedS3 embeddedS3;
    private ObjectStore store;
    private ProcessBackend backend;
    private ControlServer controlServer;
    private InvocationRouter router;
    private RestApi api;
    private ProcessLifecycle lifecycle;
    private volatile WorldPublisher world;
    private int httpPort;
    private final java.util.List<Long> timers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private int controlPort;

    private ControlPlane(ControlPlaneConfig config) {
        this.config = config;
        this.node = config.nodeName() != null ? config.nodeName() : "node-" + UUID.randomUUID().toString().substring(0, 8);
        this.adminKey = config.dev() || !config.adminKey().isEmpty() ? config.adminKey() : Registry.newSecret();
    }

    /** Starts a node with the local backend. */
    public static ControlPlane start(ControlPlaneConfig config) {
        return start(config, null);
    }

    /** Starts a node with the given backend (null = the local backend). */
    public static ControlPlane start(ControlPlaneConfig config, ProcessBackend backend) {
        ControlPlane cp = new ControlPlane(config);
        try {
            cp.startAll(backend);
            return cp;
        } catch (Exception e) {
            cp.close();
            throw new IllegalStateException("control plane did not start: " + e.getMessage(), e);
        }
    }

    /** Workers that handle what processes report (registrations, heartbeats, losses), apart from the API's. */
    static final int CONTROL_REPORT_WORKERS = 4;
    /** Workers for the swap-ins processes ask for (each may wait for a process start). */
    static final int PROCESS_SWAP_IN_WORKERS = 8;

    private void startAll(ProcessBackend chosen) throws Exception {
        Files.createDirectories(config.dataDir());
        // First: a backend that cannot be made (unknown name, bad settings) stops the start early.
        backend = chosen != null ? chosen : createBackend(config);
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(32).setPreferNativeTransport(true));
        hazelcast = Hazelcast.newHazelcastInstance(hazelcastConfig(config, node));
        registry = new Registry(hazelcast);
        String controlSecret = registry.setting("control-secret", Registry::newSecret);

        S3Settings s3;
        if (config.s3Endpoint() == null) {
            embeddedS3 = EmbeddedS3.start(config.dataDir().resolve("s3"), 0, "praas-local", Registry.newSecret());
            s3 = embeddedS3.settings(config.s3Bucket());
        } else {
            s3 = new S3Settings(config.s3Endpoint(), config.s3Region(), config.s3Bucket(),
                    config.s3AccessKey(), config.s3SecretKey());
        }
        store = new ObjectStore(s3);
        store.ensureBucket();

        ProcessLifecycle[] holder = new ProcessLifecycle[1];
        // What processes report runs on workers of its own: API requests that wait for a process to
        // register hold the shared pool's workers, and must not keep that registration waiting.
        io.vertx.core.WorkerExecutor reports = vertx.createSharedWorkerExecutor("praas-process-reports",
                CONTROL_REPORT_WORKERS);
        // Heartbeats (one a second from every process) apart again: a backlog of them must not keep
        // a registration waiting either.
        io.vertx.core.WorkerExecutor heartbeats = vertx.createSharedWorkerExecutor("praas-heartbeats", 2);
        // Swap-ins that processes ask for (a message waits for its receiver) apart too.
        io.vertx.core.WorkerExecutor swapInWorkers = vertx.createSharedWorkerExecutor("praas-process-swap-ins",
                PROCESS_SWAP_IN_WORKERS, 15, java.util.concurrent.TimeUnit.MINUTES);
        controlServer = new ControlServer(controlSecret, new ControlServer.Listener() {
            @Override
            public Future<String> registered(String application, String processId, String incarnation, String dataHost,
                                             int dataPort) {
                return reports.executeBlocking(() -> holder[0].registered(application, processId, incarnation, dataHost,
                        dataPort), false);
            }

            /**
             * The latest heartbeat of each process that waits for its update, with when it arrived:
             * one update per process at most is queued, however many frames a process sends, and its
             * liveness is the arrival's, not the update's (a backlog must not fail other processes).
             */
            private final java.util.concurrent.ConcurrentHashMap<String, Beat> beats =
                    new java.util.concurrent.ConcurrentHashMap<>();

            /** A heartbeat and when it arrived. */
            private record Beat(Message.Heartbeat metrics, java.time.Instant arrived) {
            }

            @Override
            public void heartbeat(String application, String processId, Message.Heartbeat metrics) {
                String key = application + "/" + processId;
                if (beats.put(key, new Beat(metrics, holder[0].now())) != null) {
                    return; // its update is queued already, and takes this one
                }
                heartbeats.executeBlocking(() -> {
                    Beat latest = beats.remove(key);
                    if (latest != null) {
                        holder[0].heartbeat(application, processId, latest.metrics(), latest.arrived());
                    }
                    return null;
                }, false);
            }

            @Override
            public void lost(String application, String processId) {
                reports.executeBlocking(() -> {
                    holder[0].processLost(application, processId, "its control channel closed", null);
                    return null;
                }, false);
            }

            @Override
            public Future<Void> restoreFailed(String application, String processId, String incarnation, String reason) {
                return reports.executeBlocking(() -> {
                    holder[0].restoreFailed(application, processId, incarnation, reason);
                    return null;
                }, false);
            }

            /** Swap-ins processes asked for, under way, by application/target: asked again, they are joined. */
            private final java.util.concurrent.ConcurrentHashMap<String, Future<Message>> swapIns =
                    new java.util.concurrent.ConcurrentHashMap<>();

            @Override
            public Future<Message> swapInRequested(String application, String requester, String target) {
                // On workers of their own, one per target however often it is asked: a swap-in may wait
                // minutes for its process, and must not hold the workers that serve the REST API.
                String key = application + "/" + target;
                return swapIns.computeIfAbsent(key, k -> {
                    Future<Message> f = swapInWorkers.executeBlocking(() -> {
                        try {
                            holder[0].swapIn(application, target);
                            return new Message.Ok();
                        } catch (ControlPlaneException e) {
                            return new Message.Error(switch (e.code()) {
                                case NOT_FOUND, INVALID_ARGUMENT -> io.praas.protocol.ErrorCode.INVALID_ARGUMENT;
                                case OVERLOADED -> io.praas.protocol.ErrorCode.OVERLOADED;
                                default -> io.praas.protocol.ErrorCode.PROCESS_UNAVAILABLE;
                            }, e.getMessage());
                        }
                    }, false);
                    f.onComplete(ar -> swapIns.remove(k, f));
                    return f;
                });
            }

            @Override
            public void channelOpened(String application, String processId) {
                WorldPublisher w = world;
                if (w != null) {
                    w.changed(application);
                }
            }
        });
        controlPort = await(controlServer.listen(vertx, config.host(), config.controlPort()));

        lifecycle = new ProcessLifecycle(new ProcessLifecycle.Settings(node, config.host(), controlPort, config.host(),
                config.dataDir().resolve("code"), config.allocationTimeout(), config.heartbeatTimeout(),
                config.heartbeatInterval(), config.defaultResources(), config.maxCodeBytes(), s3,
                config.swapDrainTimeout(), config.swapTimeout(), config.dataDir().resolve("journals")),
                registry, backend, store, controlSecret, Clock.systemUTC());
        holder[0] = lifecycle;
        world = new WorldPublisher(registry, controlServer);
        LOCAL_NODES.put(hazelcast.getName(), this);
        lifecycle.channels(new ProcessLifecycle.Channels() {
            @Override
            public Future<Message> request(String application, String processId, Message request) {
                return controlServer.request(application, processId, request);
            }

            @Override
            public boolean takesIdleCondition(String application, String processId) {
                return controlServer.takesIdleCondition(application, processId);
            }

            @Override
            public ProcessRecord swapOutOn(String otherNode, String application, String processId) {
                return onNode(otherNode, new SwapOutTask(application, processId));
            }
        });
        // A node that leaves the cluster without swapping its processes out (it crashed, or its
        // stop was cut short) leaves records nobody watches: the oldest member takes them over.
        clusterSize.set(hazelcast.getCluster().getMembers().size());
        hazelcast.getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
            @Override
            public void memberAdded(com.hazelcast.cluster.MembershipEvent e) {
                clusterSize.accumulateAndGet(e.getMembers().size(), Math::max);
            }

            @Override
            public void memberRemoved(com.hazelcast.cluster.MembershipEvent e) {
                String gone = e.getMember().getAttribute(NODE_ATTRIBUTE);
                if (gone == null) {
                    return;
                }
                // Decided once the membership has settled: a node cut off from the rest removes the
                // others one by one, and after the first removal it may still look like most.
                vertx.setTimer(TAKEOVER_GRACE.toMillis(), t -> vertx.executeBlocking(() -> {
                    takeOver(gone);
                    return null;
                }, false));
            }
        });
        router = new InvocationRouter(vertx, lifecycle);
        api = new RestApi(vertx, lifecycle, router, adminKey, config.dev(), config.maxInvokeBytes(), this::health);
        httpPort = await(api.listen(config.host(), config.httpPort()));
        timers.add(vertx.setPeriodic(config.heartbeatInterval().toMillis(), id -> vertx.executeBlocking(() -> {
            lifecycle.checkHeartbeats();
            return null;
        }, false)));
        // The downscaler: idle processes of this node swap out, one sweep at a time.
        java.util.concurrent.atomic.AtomicBoolean sweeping = new java.util.concurrent.atomic.AtomicBoolean();
        timers.add(vertx.setPeriodic(config.idleCheckInterval().toMillis(), id -> {
            if (sweeping.compareAndSet(false, true)) {
                vertx.executeBlocking(() -> {
                    lifecycle.swapOutIdle();
                    return null;
                }, false).onComplete(ar -> sweeping.set(false));
            }
        }));
        LOG.info("control plane node {} serving the API at {} (control channel port {}, cluster '{}' of {}, {} backend){}",
                node, apiUrl(), controlPort, config.clusterName(), hazelcast.getCluster().getMembers().size(), backend.name(),
                config.dev() ? " -- DEV MODE: the REST API has NO AUTHENTICATION" : "");
    }

    /** The local backend, or the {@link BackendProvider} of that name on the class path. */
    static ProcessBackend createBackend(ControlPlaneConfig config) {
        if (config.backend().equals("local")) {
            return LocalBackend.withSettings(config.localCaps(), config.dataDir().resolve("logs"),
                    LocalBackend.defaultClasspath(), config.backendSettings());
        }
        BackendProvider provider = BackendProvider.named(config.backend()).orElseThrow(() -> {
            java.util.List<String> known = new java.util.ArrayList<>(java.util.List.of("local"));
            known.addAll(BackendProvider.names());
            return new IllegalArgumentException("unknown backend '" + config.backend() + "'; known here: "
                    + String.join(", ", known) + " (fargate and knative need their module's jars on the class path: "
                    + "./praas build)");
        });
        return provider.create(config.backendSettings());
    }

    /** How long after a member left its processes are taken over (the membership settles meanwhile). */
    static final java.time.Duration TAKEOVER_GRACE = java.time.Duration.ofSeconds(10);
    /** The most members the cluster had, lowered when one leaves on purpose: what "most of the cluster" is of. */
    private final java.util.concurrent.atomic.AtomicInteger clusterSize = new java.util.concurrent.atomic.AtomicInteger(1);

    /**
     * Takes over the processes of node {@code gone}, which left the cluster: if it did not say it left
     * on purpose, this is the oldest member, no member carries its name again, and most of the cluster
     * remains (with two nodes a crash cannot be told from a split: nothing is taken over).
     */
    private void takeOver(String gone) {
        if (registry.leftOnPurpose(gone)) {
            clusterSize.decrementAndGet();
            return;
        }
        java.util.Set<com.hazelcast.cluster.Member> members = hazelcast.getCluster().getMembers();
        if (!oldestMember() || members.stream().anyMatch(m -> gone.equals(m.getAttribute(NODE_ATTRIBUTE)))) {
            return;
        }
        int was = clusterSize.get();
        if (members.size() * 2 <= was) {
            LOG.warn("control-plane node {} left; {} of the cluster's {} nodes remain, not most: a crash cannot be told "
                    + "from a split, so its processes are left as they are", gone, members.size(), was);
            return;
        }
        clusterSize.decrementAndGet(); // what remains is the cluster now
        lifecycle.nodeLeft(gone);
    }

    /** Whether this node is the cluster's oldest member (the one that takes over what a departed node left). */
    private boolean oldestMember() {
        try {
            return hazelcast.getCluster().getMembers().iterator().next().localMember();
        } catch (RuntimeException e) { // stopping
            return false;
        }
    }

    static Config hazelcastConfig(ControlPlaneConfig config, String node) {
        Config c = Registry.configure(new Config());
        c.setClusterName(config.clusterName());
        c.setInstanceName("praas-" + node);
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.shutdownhook.enabled", "false"); // close() orders the shutdown
        c.getJetConfig().setEnabled(false);
        c.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, node);
        NetworkConfig net = c.getNetworkConfig();
        net.setPort(config.hazelcastPort()).setPortAutoIncrement(true);
        net.getInterfaces().setEnabled(true).addInterface(config.host());
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        if (config.kubernetesJoin() != null) {
            // Pods find each other through the Kubernetes API (the pod's service account may list endpoints).
            var k8s = join.getKubernetesConfig().setEnabled(true);
            if (config.kubernetesJoin().namespace() != null) {
                k8s.setProperty("namespace", config.kubernetesJoin().namespace());
            }
            if (config.kubernetesJoin().serviceName() != null) {
                k8s.setProperty("service-name", config.kubernetesJoin().serviceName());
            }
            k8s.setProperty("service-port", Integer.toString(config.hazelcastPort()));
            return c;
        }
        // Otherwise always TCP-IP, so a node started alone can be joined later by nodes started with
        // --join. Alone it lists no member, not even its configured address: a second node started
        // on this machine binds the next port and would otherwise dial the first one there and join
        // it, sharing its registry with a node of another admin key and another store.
        join.getTcpIpConfig().setEnabled(true);
        config.join().forEach(m -> join.getTcpIpConfig().addMember(m));
        return c;
    }

    /** Runs a task on the node named {@code otherNode}, where a process's control channel is. */
    private <T> T onNode(String otherNode, java.util.concurrent.Callable<T> task) {
        Member member = hazelcast.getCluster().getMembers().stream()
                .filter(m -> otherNode.equals(m.getAttribute(NODE_ATTRIBUTE)))
                .findFirst()
                .orElseThrow(() -> new ControlPlaneException(ControlPlaneException.Code.PROCESS_UNAVAILABLE,
                        "control-plane node " + otherNode + " that manages the process is not in the cluster"));
        try {
            return hazelcast.getExecutorService("praas-nodes").submitToMember(task, member).get(15, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new ControlPlaneException(ControlPlaneException.Code.PROCESS_UNAVAILABLE,
                    "node " + otherNode + " did not answer: " + e);
        }
    }

    /** A swap-out run on the node that holds the process's control channel. */
    static final class SwapOutTask implements java.util.concurrent.Callable<ProcessRecord>, java.io.Serializable,
            HazelcastInstanceAware {
        private final String application;
        private final String processId;
        private transient HazelcastInstance instance;

        SwapOutTask(String application, String processId) {
            this.application = application;
            this.processId = processId;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
            this.instance = hazelcastInstance;
        }

        @Override
        public ProcessRecord call() {
            ControlPlane here = LOCAL_NODES.get(instance.getName());
            if (here == null) {
                throw new ControlPlaneException(ControlPlaneException.Code.PROCESS_UNAVAILABLE, "node is stopping");
            }
            return here.lifecycle.swapOut(application, processId);
        }
    }

    private Map<String, Object> health() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("status", "UP");
        h.put("node", node);
        h.put("clusterSize", hazelcast.getCluster().getMembers().size());
        h.put("connectedProcesses", controlServer.connectedProcesses());
        return h;
    }

    public String node() {
        return node;
    }

    public String apiUrl() {
        return "http://" + config.host() + ":" + httpPort;
    }

    public int httpPort() {
        return httpPort;
    }

    /** The REST API's bearer key ("" in dev mode). */
    public String adminKey() {
        return adminKey;
    }

    /** The Hazelcast member's address, for {@code --join} of another node. */
    public String clusterAddress() {
        var a = hazelcast.getCluster().getLocalMember().getAddress();
        return a.getHost() + ":" + a.getPort();
    }

    public ProcessLifecycle lifecycle() {
        return lifecycle;
    }

    /** The cluster-wide registry of applications and processes, as this node sees it. */
    public Registry registry() {
        return registry;
    }

    public ObjectStore objectStore() {
        return store;
    }

    /** Stops this node: its API, its control channel, the processes its backend runs, the cluster member. */
    @Override
    public void close() {
        if (hazelcast != null) {
            LOCAL_NODES.remove(hazelcast.getName());
        }
        timers.forEach(id -> vertx.cancelTimer(id));
        quietly(() -> await(api == null ? Future.succeededFuture() : api.close()));
        quietly(() -> world.close());
        quietly(() -> lifecycle.shutdown());
        quietly(() -> router.close());
        quietly(() -> backend.close());
        quietly(() -> await(controlServer.close()));
        quietly(() -> store.close());
        quietly(() -> embeddedS3.close());
        quietly(() -> hazelcast.shutdown());
        quietly(() -> await(vertx.close()));
        LOG.info("control plane node {} stopped", node);
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void quietly(Step step) {
        try {
            step.run();
        } catch (NullPointerException e) {
            // never started
        } catch (Exception e) {
            LOG.debug("while stopping: {}", e.toString());
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

}
