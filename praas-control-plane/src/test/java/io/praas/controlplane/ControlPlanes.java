package io.praas.controlplane;

import io.praas.client.ProcessClient;
import io.praas.controlplane.registry.ProcessRecord;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real control-plane nodes for the tests (embedded S3Proxy, a Hazelcast member, the local backend
 * launching OS-process JVMs of the samples jar), and what the tests do with them.
 *
 * <pre>{@code
 * ControlPlane cp = ControlPlane.start(ControlPlanes.options(tempDir).config());
 * Api api = Api.admin(cp);
 * ControlPlanes.deploy(api, "shop", Map.of());
 * }</pre>
 */
final class ControlPlanes {
    static final String ADMIN_KEY = "test-admin-key-7f3a9c";
    /** Small processes: two cores and several JVMs at once. */
    static final Map<String, Object> SMALL = Map.of("vcpu", 1, "memoryMiB", 256);

    private ControlPlanes() {
    }

    /** The settings a test changes; everything else is {@link ControlPlaneConfig#defaults}. */
    static final class Options {
        Path dataDir;
        String nodeName;
        String clusterName = "t-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        /** A high range, a block of ten per test class, unlikely to clash with anything else. */
        int hazelcastPort = 16000 + ThreadLocalRandom.current().nextInt(100) * 10;
        List<String> join = List.of();
        String adminKey = ADMIN_KEY;
        int maxInvokeBytes = 16 * 1024 * 1024;
        long maxCodeBytes = 64L * 1024 * 1024;
        URI s3Endpoint;
        String s3AccessKey = "";
        String s3SecretKey = "";
        Duration heartbeatTimeout = Duration.ofSeconds(5);

        Options dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        ControlPlaneConfig config() {
            Map<String, Object> overrides = new HashMap<>();
            overrides.put("httpPort", 0);
            overrides.put("controlPort", 0);
            overrides.put("nodeName", nodeName);
            overrides.put("clusterName", clusterName);
            overrides.put("hazelcastPort", hazelcastPort);
            overrides.put("join", join);
            overrides.put("dev", false);
            overrides.put("adminKey", adminKey);
            overrides.put("s3Endpoint", s3Endpoint);
            overrides.put("s3AccessKey", s3AccessKey);
            overrides.put("s3SecretKey", s3SecretKey);
            overrides.put("heartbeatTimeout", heartbeatTimeout);
            overrides.put("maxCodeBytes", maxCodeBytes);
            overrides.put("maxInvokeBytes", maxInvokeBytes);
            return ControlPlaneConfig.defaults(dataDir).with(overrides);
        }
    }

    static Options options(Path dataDir) {
        return new Options().dataDir(dataDir);
    }

    /** The samples application jar (echo, noop, counter, wordCount). */
    static Path samplesJar() {
        Optional<Path> onClasspath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(Path::of)
                .filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith("samples-")
                        && p.getFileName().toString().endsWith(".jar"))
                .findFirst();
        Path jar = onClasspath.orElse(Path.of("..", "samples", "target", "samples-0.1.0-SNAPSHOT.jar"));
        assertThat(jar).as("the samples jar (build with mvn install)").isRegularFile();
        return jar;
    }

    static byte[] samplesJarBytes() {
        try {
            return Files.readAllBytes(samplesJar());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates application {@code name} with small resources and {@code limits}, and uploads the samples jar. */
    static void deploy(Api api, String name, Map<String, Object> limits) {
        Api.Reply created = api.post("/v1/applications", Map.of("name", name, "resources", SMALL, "limits", limits));
        assertThat(created.status()).as("create %s: %s", name, created).isEqualTo(201);
        Api.Reply uploaded = api.put("/v1/applications/" + name + "/code", samplesJarBytes(), "application/java-archive");
        assertThat(uploaded.status()).as("upload %s: %s", name, uploaded).isEqualTo(200);
    }

    /** Creates a process of {@code app} and returns the answer (201, ACTIVE, with a token). */
    static Api.Reply createProcess(Api api, String app) {
        Api.Reply r = api.post("/v1/applications/" + app + "/processes", null);
        assertThat(r.status()).as("create a process of %s: %s", app, r).isEqualTo(201);
        return r;
    }

    /** A direct data-plane connection to the process of a create answer, with its token. */
    static ProcessClient connect(Api.Reply created) {
        var p = created.json();
        return ProcessClient.builder()
                .address(p.path("endpoint").path("host").asText(), p.path("endpoint").path("port").asInt())
                .application(p.path("application").asText())
                .token(p.path("token").asText())
                .timeout(Duration.ofSeconds(10))
                .connect();
    }

    /** The OS process of a process of the local backend (its handle's id is the pid). */
    /** Runs {@code n} calls released at once on threads of their own; their answers in call order. */
    static <T> List<T> atOnce(int n, java.util.function.IntFunction<T> call) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<T>> pending = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                pending.add(pool.submit(() -> {
                    go.await();
                    return call.apply(index);
                }));
            }
            go.countDown();
            List<T> answers = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<T> f : pending) {
                answers.add(f.get(120, java.util.concurrent.TimeUnit.SECONDS));
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The keys under {@code prefix} in the node's object store. */
    static List<String> storeKeys(ControlPlane cp, String prefix) {
        return cp.objectStore().list(prefix).stream().map(software.amazon.awssdk.services.s3.model.S3Object::key).toList();
    }

    static ProcessHandle osProcess(ControlPlane cp, String app, String id) {
        ProcessRecord record = cp.lifecycle().process(app, id);
        assertThat(record.handle()).as("backend handle of %s/%s", app, id).isNotNull();
        long pid = Long.parseLong(record.handle().id());
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no OS process " + pid));
        // Not by its command line: the JDK reads at most one page of /proc/<pid>/cmdline, and the
        // main class comes after the long classpath. The backend started it, so it is our child.
        assertThat(ProcessHandle.current().children().map(ProcessHandle::pid)).contains(pid);
        assertThat(h.info().command().orElse("")).endsWith("java");
        return h;
    }

    /** Polls {@code probe} until {@code done} holds, at most {@code timeout}; returns the last value. */
    static <T> T eventually(Duration timeout, Supplier<T> probe, Predicate<T> done, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what + "; last seen: " + last);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting: " + what, e);
            }
            last = probe.get();
        }
        return last;
    }
}
