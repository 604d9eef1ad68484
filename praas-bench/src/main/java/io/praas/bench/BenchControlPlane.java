package io.praas.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.praas.backend.BackendHandle;
import io.praas.backend.Resources;
import io.praas.client.ProcessClient;
import io.praas.controlplane.ControlPlane;
import io.praas.controlplane.ControlPlaneConfig;
import io.praas.controlplane.backend.LocalBackend;
import io.praas.controlplane.registry.ProcessRecord;
import io.praas.process.launch.LocalProcess;
import io.praas.process.storage.S3Settings;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A control-plane node in the benchmark's JVM (embedded S3Proxy, one Hazelcast member, the local
 * backend launching processes as OS-process JVMs) in a temporary data directory, and its REST API
 * through one {@link HttpClient} (HTTP/1.1, the connection reused). {@link #close} stops the node,
 * which stops every process it started, and deletes the directory.
 *
 * <p>The processes get the classpath of this JVM without the benchmark's and the samples' jars: the
 * runtime's classpath as under {@code ./praas up}, so they log at INFO with the runtime's own
 * logback.xml (the benchmarks read the phases of a start from that log).
 *
 * <pre>{@code
 * try (BenchControlPlane cp = BenchControlPlane.start("swap", 6144, false)) {
 *     cp.deploy("app", jarBytes, Map.of("resources", Map.of("vcpu", 1, "memoryMiB", 512)));
 *     JsonNode p = cp.createProcess("app");
 * }
 * }</pre>
 */
final class BenchControlPlane implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    private static final Duration HTTP_TIMEOUT = Duration.ofMinutes(15);

    private final LocalBackend backend;
    private final Path dataDir;
    private final ControlPlane node;
    private final HttpClient http;
    private final String base;
    private final String bearer;
    private final Vertx clientVertx;
    private final Thread shutdownHook;
    private final boolean keepData;
    private boolean closed;

    /** One answer of the REST API and how long it took (send to the last byte of the body). */
    record Reply(int status, byte[] body, long nanos) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON: " + text(), e);
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        Reply expect(int wanted, String what) {
            if (status != wanted) {
                throw new IllegalStateException(what + ": HTTP " + status + " " + text());
            }
            return this;
        }

        double millis() {
            return nanos / 1e6;
        }
    }

    private BenchControlPlane(Path dataDir, ControlPlane node, LocalBackend backend, boolean keepData) {
        this.backend = backend;
        this.dataDir = dataDir;
        this.keepData = keepData;
        this.node = node;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        this.base = node.apiUrl();
        this.bearer = node.adminKey().isEmpty() ? null : "Bearer " + node.adminKey();
        this.clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
        this.shutdownHook = new Thread(this::stopQuietly, "praas-bench-stop-control-plane");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a node: {@link ControlPlaneConfig#defaults} with any free API port, a unique cluster
     * name, a high Hazelcast port, dev mode (no REST authentication), local caps of all processors
     * and {@code capsMemoryMiB}, and generous timeouts (a loaded 2-core machine must not fail a
     * process that restores 1000 MiB, nor one whose heartbeat is a few seconds late).
     */
    static BenchControlPlane start(String purpose, int capsMemoryMiB, boolean keepData) {
        return start(purpose, capsMemoryMiB, keepData, 1);
    }

    /** As {@link #start(String, int, boolean)}, with {@code standbyJvms} standby JVMs per shape. */
    static BenchControlPlane start(String purpose, int capsMemoryMiB, boolean keepData, int standbyJvms) {
        Path dir;
        try {
            dir = Files.createTempDirectory("praas-bench-" + purpose + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> overrides = new HashMap<>();
        overrides.put("httpPort", 0);
        overrides.put("controlPort", 0);
        overrides.put("clusterName", "praas-bench-" + purpose + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 20));
        overrides.put("hazelcastPort", 18_000 + ThreadLocalRandom.current().nextInt(200) * 10);
        overrides.put("dev", true);
        int cpus = Runtime.getRuntime().availableProcessors();
        Resources caps = new Resources(cpus, capsMemoryMiB);
        overrides.put("localCaps", caps);
        overrides.put("heartbeatTimeout", Duration.ofSeconds(30));
        overrides.put("allocationTimeout", Duration.ofMinutes(5));
        ControlPlaneConfig config = ControlPlaneConfig.defaults(dir).with(overrides);
        ControlPlane node = null;
        try {
            LocalBackend backend = new LocalBackend(caps, dir.resolve("logs"), processClasspath(), standbyJvms);
            node = ControlPlane.start(config, backend);
            return new BenchControlPlane(dir, node, backend, keepData);
        } catch (RuntimeException e) {
            if (node != null) {
                node.close();
            }
            deleteQuietly(dir);
            throw e;
        }
    }

    /**
     * The processes' classpath: this JVM's without this module's jar and the samples jar (whose
     * logback.xml would silence the runtime's INFO log).
     */
    static String processClasspath() {
        return Arrays.stream(LocalProcess.runtimeClasspath().split(File.pathSeparator))
                .filter(e -> {
                    Path f = Path.of(e).getFileName();
                    String name = f == null ? "" : f.toString();
                    return !name.startsWith("samples-") && !name.startsWith("praas-bench-")
                            && !e.endsWith("praas-bench" + File.separator + "target" + File.separator + "classes");
                })
                .collect(Collectors.joining(File.pathSeparator));
    }

    String apiUrl() {
        return base;
    }

    /** The object store's settings, exactly those the processes get (PRAAS_S3_*). */
    S3Settings storeSettings() {
        return node.lifecycle().settings().store();
    }

    Path dataDir() {
        return dataDir;
    }

    // ---- the REST API

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(HTTP_TIMEOUT);
        if (bearer != null) {
            b.header("Authorization", bearer);
        }
        return b;
    }

    Reply send(HttpRequest request) {
        long t0 = System.nanoTime();
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(r.statusCode(), r.body(), System.nanoTime() - t0);
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    Reply post(String path, Object json) {
        HttpRequest.BodyPublisher body;
        try {
            body = json == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return send(request(path).header("Content-Type", "application/json").POST(body).build());
    }

    Reply put(String path, byte[] bytes, String contentType) {
        return send(request(path).header("Content-Type", contentType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    }

    Reply delete(String path) {
        return send(request(path).DELETE().build());
    }

    /** Creates application {@code name} with {@code spec} (as the REST API takes it) and uploads {@code jar}. */
    void deploy(String name, byte[] jar, Map<String, Object> spec) {
        Map<String, Object> body = new HashMap<>(spec);
        body.put("name", name);
        post("/v1/applications", body).expect(201, "create application " + name);
        put("/v1/applications/" + name + "/code", jar, "application/java-archive").expect(200, "upload the code of " + name);
    }

    /** POST /processes: the answer (201, ACTIVE, with endpoint and token) and its wall time. */
    Reply createProcess(String app) {
        return post("/v1/applications/" + app + "/processes", null).expect(201, "create a process of " + app);
    }

    Reply swapOut(String app, String id) {
        return trySwapOut(app, id).expect(200, "swap out " + app + "/" + id);
    }

    /** POST .../swap, whatever it answers. */
    Reply trySwapOut(String app, String id) {
        return post("/v1/applications/" + app + "/processes/" + id + "/swap", null);
    }

    /** The process's status in the registry (GET .../processes/{id}). */
    String status(String app, String id) {
        return send(request("/v1/applications/" + app + "/processes/" + id).GET().build())
                .expect(200, "get " + app + "/" + id).json().path("status").asText();
    }

    Reply swapIn(String app, String id) {
        return post("/v1/applications/" + app + "/processes/" + id + "/swapin", null).expect(200, "swap in " + app + "/" + id);
    }

    void deleteProcess(String app, String id) {
        delete("/v1/applications/" + app + "/processes/" + id).expect(204, "delete " + app + "/" + id);
    }

    /** A data-plane connection to the process of a create or swap-in answer, with its token. */
    ProcessClient connect(JsonNode process, Duration timeout) {
        return ProcessClient.builder()
                .vertx(clientVertx)
                .address(process.path("endpoint").path("host").asText(), process.path("endpoint").path("port").asInt())
                .application(process.path("application").asText())
                .token(process.path("token").asText())
                .timeout(timeout)
                .connect();
    }

    // ---- what only this JVM sees: the backend's OS processes and their logs

    /** The OS process of a running process (the local backend's handle id is the pid). */
    Optional<ProcessHandle> osProcess(String app, String id) {
        BackendHandle h = node.lifecycle().process(app, id).handle();
        return h == null ? Optional.empty() : ProcessHandle.of(Long.parseLong(h.id()));
    }

    /**
     * Waits until the local backend has no standby JVM starting or warming up (one is started a
     * couple of seconds after each start), so that a measured start neither shares the machine
     * with it nor finds the pool empty.
     */
    void awaitStandbys() {
        try {
            if (!backend.awaitStandbysWarm(Duration.ofSeconds(60))) {
                throw new IllegalStateException("a standby JVM did not warm up within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Waits until an OS process has exited (a swapped-out or deleted process's JVM). */
    static void awaitExit(Optional<ProcessHandle> p) {
        p.ifPresent(h -> {
            try {
                h.onExit().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("pid " + h.pid() + " did not exit within 60 s", e);
            }
        });
    }

    /** The log of process {@code app/id}: every incarnation appends to it. */
    Path logOf(String app, String id) {
        ProcessRecord r = node.lifecycle().process(app, id);
        if (r.handle() != null && r.handle().attributes().get("log") != null) {
            return Path.of(r.handle().attributes().get("log"));
        }
        return dataDir.resolve("logs").resolve(app + "-" + id + ".log");
    }

    static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs this anyway
        }
        stopQuietly();
    }

    private void stopQuietly() {
        try {
            node.close(); // stops the processes its backend started
        } finally {
            clientVertx.close();
            if (keepData) {
                Bench.progress("kept the control plane's data directory %s (process logs under logs/)", dataDir);
            } else {
                deleteQuietly(dataDir);
            }
        }
    }

    static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp directory: best effort
        }
    }
}
