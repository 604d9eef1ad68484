package io.praas.controlplane;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.praas.backend.BackendProvider;
import io.praas.backend.Resources;
import io.praas.controlplane.cli.AppCommands;
import io.praas.controlplane.cli.ErrorReport;
import io.praas.controlplane.cli.InvokeCommand;
import io.praas.controlplane.cli.ProcessCommands;
import io.praas.controlplane.cli.TokenCommand;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * The control plane's command line: {@code up} runs a node; {@code app}, {@code process},
 * {@code invoke} and {@code token} are clients of a node's REST API (through the SDK's
 * {@link io.praas.client.Praas}).
 */
@Command(name = "praas", mixinStandardHelpOptions = true, version = "praas-control-plane/0.1",
        subcommands = {Main.Up.class, AppCommands.class, ProcessCommands.class, InvokeCommand.class, TokenCommand.class},
        description = "PraaS control plane: run a node (up) and use its REST API.")
public final class Main implements Runnable {

    public static void main(String[] args) {
        boolean up = args.length > 0 && args[0].equals("up");
        if (!up) {
            quietLogs();
        }
        int code = new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(new ErrorReport())
                .execute(args);
        // A client command is done; `up` returns only from its shutdown hook, where exit() would block.
        if (code != 0 || !up) {
            System.exit(code);
        }
    }

    /** Client commands print results, not the runtime's INFO lines (PRAAS_LOG_LEVEL still wins). */
    private static void quietLogs() {
        if (System.getenv("PRAAS_LOG_LEVEL") == null
                && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        }
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** Runs a control-plane node until SIGTERM / SIGINT. */
    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start a control-plane node (embedded S3 store, local backend, one Hazelcast member by default).")
    static final class Up implements Callable<Integer> {
        @Option(names = "--data-dir", defaultValue = "${env:PRAAS_DATA_DIR:-praas-data}",
                description = "Data directory: embedded store, jar cache, process logs (default ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--host", defaultValue = "${env:PRAAS_HOST:-127.0.0.1}", description = "Bind address (default ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "${env:PRAAS_API_PORT:-8080}", description = "REST API port (default ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--control-port", defaultValue = "${env:PRAAS_CONTROL_PORT:-0}",
                description = "Control-channel port for processes (default: any free port).")
        int controlPort;

        @Option(names = "--node-name", defaultValue = "${env:PRAAS_NODE_NAME}", description = "This node's name.")
        String nodeName;

        @Option(names = "--cluster-name", defaultValue = "${env:PRAAS_CLUSTER_NAME:-praas}", description = "Hazelcast cluster name.")
        String clusterName;

        @Option(names = "--hazelcast-port", defaultValue = "${env:PRAAS_HAZELCAST_PORT:-5901}",
                description = "First Hazelcast port tried (default ${DEFAULT-VALUE}).")
        int hazelcastPort;

        @Option(names = "--join", split = ",", defaultValue = "${env:PRAAS_JOIN}",
                description = "Members to join, host:port,... (TCP-IP join; default: none, a single member).")
        List<String> join;

        @Option(names = "--dev", defaultValue = "${env:PRAAS_DEV:-false}", description = "Disable REST authentication.")
        boolean dev;

        @Option(names = "--admin-key-file", defaultValue = "${env:PRAAS_ADMIN_KEY_FILE}",
                description = "File with the REST API's bearer key (or the key in PRAAS_ADMIN_KEY); "
                        + "default: generated, printed, and written to <data-dir>/admin.key.")
        Path adminKeyFile;

        @Option(names = "--s3-endpoint", defaultValue = "${env:PRAAS_S3_ENDPOINT}",
                description = "S3-compatible endpoint (default: the embedded S3Proxy under the data directory).")
        URI s3Endpoint;

        @Option(names = "--s3-region", defaultValue = "${env:PRAAS_S3_REGION:-us-east-1}", description = "S3 region.")
        String s3Region;

        @Option(names = "--s3-bucket", defaultValue = "${env:PRAAS_S3_BUCKET:-praas}", description = "S3 bucket.")
        String s3Bucket;

        @Option(names = "--s3-access-key", defaultValue = "${env:PRAAS_S3_ACCESS_KEY:-}", description = "S3 access key (default: AWS chain).")
        String s3AccessKey;

        @Option(names = "--s3-secret-key", defaultValue = "${env:PRAAS_S3_SECRET_KEY:-}", description = "S3 secret key.")
        String s3SecretKey;

        @Option(names = "--max-vcpu", defaultValue = "${env:PRAAS_MAX_VCPU:-0}",
                description = "Largest vCPU of one local process (default: this machine's processors).")
        double maxVcpu;

        @Option(names = "--max-memory-mib", defaultValue = "${env:PRAAS_MAX_MEMORY_MIB:-4096}",
                description = "Largest memory of one local process (default ${DEFAULT-VALUE}).")
        int maxMemoryMiB;

        @Option(names = "--allocation-timeout-seconds", defaultValue = "${env:PRAAS_ALLOCATION_TIMEOUT_SECONDS:-60}",
                description = "How long a new or swapping-in process may take to start and register (default "
                        + "${DEFAULT-VALUE}; raise it for cloud backends whose image pulls are slow).")
        long allocationTimeoutSeconds;

        @Option(names = "--swap-drain-timeout-seconds", defaultValue = "${env:PRAAS_SWAP_DRAIN_TIMEOUT_SECONDS:-10}",
                description = "How long a swapping-out process lets in-flight invocations finish; the rest fail "
                        + "with PROCESS_UNAVAILABLE (default ${DEFAULT-VALUE}).")
        long swapDrainTimeoutSeconds;

        @Option(names = "--swap-timeout-seconds", defaultValue = "${env:PRAAS_SWAP_TIMEOUT_SECONDS:-600}",
                description = "How long a swap-out (drain plus snapshot upload) may take before the process is "
                        + "given up on and stopped (default ${DEFAULT-VALUE}).")
        long swapTimeoutSeconds;

        @Option(names = "--backend", defaultValue = "${env:PRAAS_BACKEND:-local}",
                description = "Process backend: local, or a deployer on the class path (fargate, knative); default ${DEFAULT-VALUE}.")
        String backend;

        @Option(names = "--backend-setting", paramLabel = "KEY=VALUE",
                description = "A setting of the backend, repeatable; also from PRAAS_<BACKEND>_<KEY> variables "
                        + "(PRAAS_FARGATE_TASK_DEFINITION=x is task-definition=x); flags win.")
        Map<String, String> backendSetting;

        @Option(names = "--hazelcast-kubernetes", defaultValue = "${env:PRAAS_HAZELCAST_KUBERNETES:-false}",
                description = "Find the other control-plane nodes through the Kubernetes API instead of TCP-IP.")
        boolean kubernetes;

        @Option(names = "--hazelcast-kubernetes-namespace", defaultValue = "${env:PRAAS_HAZELCAST_KUBERNETES_NAMESPACE}",
                description = "Their namespace (default: this pod's).")
        String kubernetesNamespace;

        @Option(names = "--hazelcast-kubernetes-service", defaultValue = "${env:PRAAS_HAZELCAST_KUBERNETES_SERVICE_NAME}",
                description = "The headless Service selecting them (default: every pod of the namespace).")
        String kubernetesService;

        /** PRAAS_<BACKEND>_* variables, then --backend-setting flags over them. */
        private Map<String, String> backendSettings() {
            Map<String, String> settings = new TreeMap<>(BackendProvider.settingsFromEnvironment(backend, System.getenv()));
            if (backendSetting != null) {
                settings.putAll(backendSetting);
            }
            return settings;
        }

        @Override
        public Integer call() throws Exception {
            ControlPlaneConfig d = ControlPlaneConfig.defaults(dataDir);
            String key = System.getenv("PRAAS_ADMIN_KEY");
            if (adminKeyFile != null) {
                key = Files.readString(adminKeyFile, StandardCharsets.UTF_8).strip();
            }
            ControlPlaneConfig config;
            try {
                config = new ControlPlaneConfig(dataDir, host, port, controlPort, nodeName, clusterName, hazelcastPort,
                        join == null ? List.of() : join.stream().map(String::strip).filter(s -> !s.isEmpty()).toList(),
                        dev, key == null ? "" : key, s3Endpoint, s3Region, s3Bucket, s3AccessKey, s3SecretKey,
                        new Resources(maxVcpu > 0 ? maxVcpu : d.localCaps().vcpu(), maxMemoryMiB), d.defaultResources(),
                        d.heartbeatInterval(), d.heartbeatTimeout(), java.time.Duration.ofSeconds(allocationTimeoutSeconds),
                        d.maxCodeBytes(),
                        d.maxInvokeBytes(), java.time.Duration.ofSeconds(swapDrainTimeoutSeconds),
                        java.time.Duration.ofSeconds(swapTimeoutSeconds), d.idleCheckInterval(),
                        backend, backendSettings(), kubernetes
                                ? new ControlPlaneConfig.KubernetesJoin(kubernetesNamespace, kubernetesService) : null);
            } catch (IllegalArgumentException e) {
                System.err.println("praas up: " + e.getMessage());
                return 2;
            }
            ControlPlane cp;
            try {
                cp = ControlPlane.start(config);
            } catch (IllegalStateException e) {
                System.err.println("praas up: " + e.getMessage());
                return 1;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                cp.close();
                stopped.countDown();
            }, "praas-shutdown"));
            Path info = dataDir.resolve("api");
            Files.writeString(info, cp.apiUrl() + "\n");
            if (!dev) {
                Path keyFile = dataDir.resolve("admin.key");
                Files.writeString(keyFile, cp.adminKey() + "\n");
                try {
                    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system
                }
            }
            System.out.println("PraaS control plane " + cp.node() + " is up");
            System.out.println("  API:       " + cp.apiUrl() + "   (OpenAPI at " + cp.apiUrl() + "/v1/openapi.yaml)");
            System.out.println("  cluster:   " + cp.clusterAddress() + "   (another node joins with --join " + cp.clusterAddress() + ")");
            System.out.println(dev ? "  auth:      NONE (--dev)"
                    : "  admin key: " + cp.adminKey() + "   (also in " + dataDir.resolve("admin.key") + ")");
            System.out.flush();
            stopped.await();
            return 0;
        }
    }


}
