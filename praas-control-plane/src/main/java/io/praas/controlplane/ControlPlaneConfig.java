package io.praas.controlplane;

import io.praas.backend.Resources;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of one control-plane node, validated once. {@link Main} loads them from defaults &lt;
 * argument file &lt; environment ({@code PRAAS_*}) &lt; flags.
 *
 * @param dataDir           where the node keeps the embedded store, cached jars and process logs
 * @param host              bind address of the REST API, the control channel and Hazelcast
 * @param httpPort          REST API port (0 = any free port)
 * @param controlPort       control-channel port for processes (0 = any free port)
 * @param nodeName          this node's name (default: derived from the ports)
 * @param clusterName       Hazelcast cluster name
 * @param hazelcastPort     first Hazelcast port tried (auto-increments)
 * @param join              other members (host:port) to join; empty = a single member, no network join
 * @param dev               no REST authentication (loudly logged)
 * @param adminKey          the REST API's bearer key (generated and printed when empty outside dev mode)
 * @param s3Endpoint        S3-compatible endpoint; null = the embedded S3Proxy under dataDir
 * @param s3Region          its region
 * @param s3Bucket          bucket for code and snapshots
 * @param s3AccessKey       credentials (empty = the AWS default chain)
 * @param s3SecretKey       credentials
 * @param localCaps         largest resources of one local process
 * @param defaultResources  resources of applications that name none
 * @param heartbeatInterval how often processes send metrics
 * @param heartbeatTimeout  silence after which a process is FAILED
 * @param allocationTimeout how long a new process may take to register
 * @param maxCodeBytes      largest application jar
 * @param maxInvokeBytes    largest invocation body through the REST API
 * @param swapDrainTimeout  how long a swapping process lets in-flight invocations finish
 * @param swapTimeout       how long a swap-out (drain, up to 5 s for state updates under way, snapshot upload) may take
 * @param idleCheckInterval how often the downscaler looks for idle processes
 * @param backend           the process backend: {@code local}, or a {@link io.praas.backend.BackendProvider}'s name
 *                          ({@code fargate}, {@code knative}) found on the class path
 * @param backendSettings   that backend's settings (kebab-case keys; none for {@code local})
 * @param kubernetesJoin    Hazelcast's Kubernetes discovery instead of the TCP-IP join; null = TCP-IP
 */
public record ControlPlaneConfig(Path dataDir, String host, int httpPort, int controlPort, String nodeName,
                                 String clusterName, int hazelcastPort, List<String> join, boolean dev,
                                 String adminKey, URI s3Endpoint, String s3Region, String s3Bucket,
                                 String s3AccessKey, String s3SecretKey, Resources localCaps,
                                 Resources defaultResources, Duration heartbeatInterval, Duration heartbeatTimeout,
                                 Duration allocationTimeout, long maxCodeBytes, int maxInvokeBytes,
                                 Duration swapDrainTimeout, Duration swapTimeout, Duration idleCheckInterval,
                                 String backend, Map<String, String> backendSettings, KubernetesJoin kubernetesJoin) {

    /**
     * Hazelcast members found through the Kubernetes API (Hazelcast's built-in discovery), for
     * control planes running as pods.
     *
     * <pre>{@code
     * new ControlPlaneConfig.KubernetesJoin("praas", "praas-control-plane-hazelcast")
     * }</pre>
     *
     * @param namespace   the pods' namespace; null = the pod's own (from its service account)
     * @param serviceName the (headless) Service that selects the control-plane pods; null = every pod of the namespace
     */
    public record KubernetesJoin(String namespace, String serviceName) {
    }

    public ControlPlaneConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(host, "host");
        join = List.copyOf(join);
        check(httpPort >= 0 && httpPort <= 65535, "http port must be in 0..65535");
        check(controlPort >= 0 && controlPort <= 65535, "control port must be in 0..65535");
        check(hazelcastPort > 0 && hazelcastPort <= 65535, "hazelcast port must be in 1..65535");
        check(clusterName != null && !clusterName.isBlank(), "cluster name must not be empty");
        check(s3Bucket != null && s3Bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"), "bucket name is not valid: " + s3Bucket);
        check(defaultResources.fitsIn(localCaps), "default resources must fit within the backend caps");
        check(positive(heartbeatInterval) && positive(heartbeatTimeout)
                && heartbeatTimeout.compareTo(heartbeatInterval.multipliedBy(2)) >= 0,
                "heartbeat timeout must be at least twice the interval");
        check(positive(allocationTimeout), "allocation timeout must be positive");
        check(maxCodeBytes > 0 && maxInvokeBytes > 0, "body limits must be positive");
        check(positive(swapDrainTimeout) && positive(swapTimeout)
                && positive(idleCheckInterval), "swap timeouts and the idle check interval must be positive");
        check(swapTimeout.compareTo(swapDrainTimeout) > 0, "the swap timeout (" + swapTimeout.toSeconds()
                + " s) must be longer than the swap drain timeout (" + swapDrainTimeout.toSeconds()
                + " s): a swap-out drains, then writes its snapshot");
        check(backend != null && !backend.isBlank(), "backend must not be empty");
        backendSettings = Map.copyOf(backendSettings);
        check(!backend.equals("local") || backendSettings.keySet().stream().allMatch("standby-jvms"::equals),
                "the local backend takes one backend setting, standby-jvms (its caps are --max-vcpu and "
                        + "--max-memory-mib), not " + backendSettings.keySet());
        check(kubernetesJoin == null || join.isEmpty(), "--join and Kubernetes discovery exclude each other");
        for (String member : join) {
            check(member.matches("[^:\\s]+:\\d{1,5}"), "join members must be host:port, one by one: " + member);
        }
    }

    /** The single-machine defaults under {@code dataDir}. */
    public static ControlPlaneConfig defaults(Path dataDir) {
        int cpus = Runtime.getRuntime().availableProcessors();
        return new ControlPlaneConfig(dataDir, "127.0.0.1", 8080, 0, null, "praas", 5901, List.of(), false, "",
                null, "us-east-1", "praas", "", "", new Resources(cpus, 4096), new Resources(1, 512),
                Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(60), 64L * 1024 * 1024,
                16 * 1024 * 1024, Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofSeconds(1), "local",
                Map.of(), null);
    }

    /**
     * A copy with the named settings changed (record component names, such as {@code "httpPort"}),
     * validated like any other; for embedding and tests that change a few of many settings.
     *
     * <pre>{@code
     * ControlPlaneConfig c = ControlPlaneConfig.defaults(dir).with(Map.of("httpPort", 0, "dev", true));
     * }</pre>
     *
     * @throws IllegalArgumentException for an unknown name or a value that does not validate
     */
    public ControlPlaneConfig with(java.util.Map<String, Object> changes) {
        java.lang.reflect.RecordComponent[] components = ControlPlaneConfig.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        java.util.Set<String> unknown = new java.util.HashSet<>(changes.keySet());
        try {
            for (int i = 0; i < components.length; i++) {
                String name = components[i].getName();
                types[i] = components[i].getType();
                values[i] = changes.containsKey(name) ? changes.get(name) : components[i].getAccessor().invoke(this);
                unknown.remove(name);
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("ControlPlaneConfig has no settings " + unknown);
            }
            return ControlPlaneConfig.class.getDeclaredConstructor(types).newInstance(values);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
