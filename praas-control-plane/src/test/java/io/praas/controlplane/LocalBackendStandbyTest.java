package io.praas.controlplane;

import io.praas.backend.BackendHandle;
import io.praas.backend.LaunchSpec;
import io.praas.backend.Resources;
import io.praas.client.ProcessClient;
import io.praas.controlplane.backend.LocalBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local backend's standby JVMs, with real OS processes: the first start of a shape starts a
 * JVM and a standby follows it; the next start runs on that standby, serves, logs to its own log,
 * and exits as any process; closing the backend ends the standby it holds.
 */
class LocalBackendStandbyTest {
    private static final Resources SMALL = new Resources(1, 256);

    @TempDir
    Path dir;

    @Test
    void theSecondStartRunsOnTheWarmStandbyAndServesAsTheFirst() throws Exception {
        Path logs = dir.resolve("logs");
        List<String> exited = new CopyOnWriteArrayList<>();
        List<Long> standbyPids = new CopyOnWriteArrayList<>();
        try (LocalBackend backend = new LocalBackend(new Resources(2, 4096), logs, LocalBackend.defaultClasspath(), 1)) {
            backend.onExit((app, id, handle) -> exited.add(app + "/" + id));

            BackendHandle first = backend.start(spec("p-1")).toCompletableFuture().get();
            assertThat(echo("p-1")).isEqualTo("hello p-1");
            assertThat(commandLine(first)).contains("-Dpraas.process=demo/p-1 ");

            assertThat(backend.awaitStandbysWarm(Duration.ofSeconds(60))).isTrue();
            assertThat(backend.standbyPids().size()).isEqualTo(1);
            BackendHandle second = backend.start(spec("p-2")).toCompletableFuture().get();
            assertThat(backend.standbyPids().size()).as("the standby was taken").isZero();
            assertThat(commandLine(second)).contains("-Dpraas.process=standby-");
            assertThat(echo("p-2")).isEqualTo("hello p-2");
            // The process's own log has its lines (the standby sent its output there).
            String log = Files.readString(Path.of(second.attributes().get("log")), StandardCharsets.UTF_8);
            assertThat(log).contains("process p-2 of application demo listening");

            // A node that did not start it stops it by pid (the JVM started before the process did).
            try (LocalBackend other = new LocalBackend(new Resources(2, 4096), logs, LocalBackend.defaultClasspath(), 0)) {
                other.stop(second).toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
            assertThat(ProcessHandle.of(Long.parseLong(second.id())).map(ProcessHandle::isAlive)).isNotEqualTo(
                    java.util.Optional.of(true));
            backend.stop(first).toCompletableFuture().get(60, TimeUnit.SECONDS);
            awaitUntil(() -> exited.size() == 2);
            assertThat(exited).containsExactlyInAnyOrder("demo/p-1", "demo/p-2");

            assertThat(backend.awaitStandbysWarm(Duration.ofSeconds(60))).isTrue(); // the one after p-2
            standbyPids.addAll(backend.standbyPids());
            assertThat(standbyPids).hasSize(1);
            assertThat(ProcessHandle.of(standbyPids.get(0)).flatMap(h -> h.info().commandLine()).orElse(""))
                    .contains("-Dpraas.process=standby-");
        }
        // Closed: its standby is gone, and its standby files with it.
        for (long pid : standbyPids) {
            ProcessHandle.of(pid).ifPresent(h -> assertThat(h.isAlive()).as("standby pid %d", pid).isFalse());
        }
        try (var files = Files.list(logs)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("standby-"));
        }
    }

    @Test
    void aStandbyThatDiesIsNoProcessExitAndAClosedBackendStartsNothing() throws Exception {
        Path logs = dir.resolve("logs");
        List<String> exited = new CopyOnWriteArrayList<>();
        LocalBackend backend = new LocalBackend(new Resources(2, 4096), logs, LocalBackend.defaultClasspath(), 1);
        try {
            backend.onExit((app, id, handle) -> exited.add(app + "/" + id));
            BackendHandle first = backend.start(spec("p-1")).toCompletableFuture().get();
            assertThat(echo("p-1")).isEqualTo("hello p-1");
            assertThat(backend.awaitStandbysWarm(Duration.ofSeconds(60))).isTrue();
            long standby = backend.standbyPids().get(0);

            ProcessHandle.of(standby).orElseThrow().destroyForcibly();
            awaitUntil(() -> backend.standbyPids().size() == 0);
            awaitUntil(() -> files(logs, ".ready").isEmpty()); // the backend's exit handler has run
            assertThat(exited).isEmpty();
            // It died young: its log is kept for a look, and no replacement loops.
            assertThat(files(logs, ".log")).anyMatch(n -> n.startsWith("standby-"));
            Thread.sleep(LocalBackend.REFILL_DELAY.toMillis() + 500);
            assertThat(backend.standbyPids().size()).isZero();

            backend.stop(first).toCompletableFuture().get(60, TimeUnit.SECONDS);
            awaitUntil(() -> exited.size() == 1);
            assertThat(exited).containsExactly("demo/p-1");
        } finally {
            backend.close();
        }
        assertThat(backend.start(spec("p-3")).toCompletableFuture()).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withMessageContaining("closed");
    }

    @Test
    void withoutStandbysEveryStartStartsAJvm() throws Exception {
        try (LocalBackend backend = new LocalBackend(new Resources(2, 4096), dir.resolve("logs"),
                LocalBackend.defaultClasspath(), 0)) {
            BackendHandle first = backend.start(spec("p-1")).toCompletableFuture().get();
            assertThat(echo("p-1")).isEqualTo("hello p-1");
            Thread.sleep(LocalBackend.REFILL_DELAY.toMillis() + 500);
            assertThat(backend.standbyPids().size()).isZero();
            BackendHandle second = backend.start(spec("p-2")).toCompletableFuture().get();
            assertThat(commandLine(second)).contains("-Dpraas.process=demo/p-2 ");
            assertThat(echo("p-2")).isEqualTo("hello p-2");
            backend.stop(first).toCompletableFuture().get(60, TimeUnit.SECONDS);
            backend.stop(second).toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStopEndsTheIncarnationItsHandleNamesNotTheLatestOfItsId() throws Exception {
        try (LocalBackend backend = new LocalBackend(new Resources(2, 4096), dir.resolve("logs"),
                LocalBackend.defaultClasspath(), 0)) {
            BackendHandle older = backend.start(spec("p-1")).toCompletableFuture().get();
            BackendHandle newer = backend.start(spec("p-1")).toCompletableFuture().get(); // two incarnations overlap

            backend.stop(older).toCompletableFuture().get(60, TimeUnit.SECONDS);

            assertThat(ProcessHandle.of(Long.parseLong(older.id())).map(ProcessHandle::isAlive)).as("the older one")
                    .isNotEqualTo(java.util.Optional.of(true));
            assertThat(ProcessHandle.of(Long.parseLong(newer.id())).map(ProcessHandle::isAlive)).as("the newer one")
                    .contains(true);
            backend.stop(newer).toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(ProcessHandle.of(Long.parseLong(newer.id())).map(ProcessHandle::isAlive))
                    .isNotEqualTo(java.util.Optional.of(true));
        }
    }

    /** The swap tests' application, whose {@code env} function reads the process's environment. */
    private Path appJar() throws java.io.IOException {
        Path jar = dir.resolve("swapapp.jar");
        if (!Files.exists(jar)) {
            Files.write(jar, SwapApp.jar());
        }
        return jar;
    }

    private LaunchSpec spec(String id) throws java.io.IOException {
        return new LaunchSpec("demo", id, SMALL, appJar().toAbsolutePath().toString(), Map.of(
                "PRAAS_APPLICATION", "demo", "PRAAS_PROCESS_ID", id, "PRAAS_DEV", "true", "PRAAS_HOST", "127.0.0.1",
                "PRAAS_PORT", "0", "PRAAS_PORT_FILE", dir.resolve(id + ".port").toString()));
    }

    /**
     * "hello ID" when process {@code id} serves (once it has written its port file) and its
     * functions read their settings from the environment: its PRAAS_PROCESS_ID through {@code env}.
     */
    private String echo(String id) throws Exception {
        Path portFile = dir.resolve(id + ".port");
        awaitUntil(() -> Files.exists(portFile));
        int port = Integer.parseInt(Files.readString(portFile).strip());
        try (ProcessClient c = ProcessClient.builder().address("127.0.0.1", port).connect()) {
            return "hello " + new String(c.invoke("env", "PRAAS_PROCESS_ID".getBytes(StandardCharsets.UTF_8)),
                    StandardCharsets.UTF_8);
        }
    }

    /** Names of the files in {@code dir} that end with {@code suffix}. */
    private static List<String> files(Path dir, String suffix) {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(suffix)).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String commandLine(BackendHandle h) {
        return ProcessHandle.of(Long.parseLong(h.id())).flatMap(p -> p.info().commandLine()).orElse("");
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition) {
        ControlPlanes.eventually(Duration.ofSeconds(60), condition::getAsBoolean, done -> done, "the condition");
    }
}
