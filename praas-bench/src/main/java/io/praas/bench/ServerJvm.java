package io.praas.bench;

import io.praas.process.launch.LocalProcess;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A baseline server (a main class of this module) in its own JVM, started exactly like a PraaS
 * process: the same java binary, {@link LocalProcess#jvmFlags()} and
 * {@link LocalProcess#runtimeClasspath()}. The server's first argument is the file it writes its
 * port to. Every JVM the benchmark starts, baselines and PraaS processes, is tracked so that a
 * shutdown hook stops whatever a failure or Ctrl-C left running.
 *
 * <pre>{@code
 * try (ServerJvm raw = ServerJvm.start(RawTcpEchoServer.class)) {
 *     Socket s = new Socket("127.0.0.1", raw.port());
 * }
 * }</pre>
 */
final class ServerJvm implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();
    private static final Set<Path> WORK_DIRS = ConcurrentHashMap.newKeySet();
    private static final Set<LocalProcess> PROCESSES = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ServerJvm::stopAll, "praas-bench-stop-jvms"));
    }

    private final String name;
    private final Process process;
    private final int port;
    private final Path workDir;

    private ServerJvm(String name, Process process, int port, Path workDir) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.workDir = workDir;
    }

    /** Starts {@code mainClass} with the port file and {@code args}; returns once it listens. */
    static ServerJvm start(Class<?> mainClass, String... args) {
        Path work = null;
        Process p = null;
        try {
            work = Files.createTempDirectory("praas-bench-" + mainClass.getSimpleName() + "-");
            WORK_DIRS.add(work);
            Path portFile = work.resolve("port");
            Path log = work.resolve("server.log");
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(LocalProcess.jvmFlags());
            cmd.add("-Dlogback.configurationFile=" + Bench.LOGBACK_CONFIG);
            cmd.addAll(List.of("-cp", LocalProcess.runtimeClasspath(), mainClass.getName(), portFile.toString()));
            cmd.addAll(List.of(args));
            // stdin stays a pipe: the server exits when it closes, even if this JVM is killed.
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            track(p);
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (Files.exists(portFile)) {
                    int port = Integer.parseInt(Files.readString(portFile).strip());
                    return new ServerJvm(mainClass.getSimpleName(), p, port, work);
                }
                if (!p.isAlive()) {
                    throw new IllegalStateException(mainClass.getSimpleName() + " exited with " + p.exitValue()
                            + " before listening:\n" + Files.readString(log));
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException(mainClass.getSimpleName() + " did not listen within " + START_TIMEOUT
                    + ":\n" + Files.readString(log));
        } catch (IOException e) {
            stop(p);
            deleteQuietly(work);
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            stop(p);
            deleteQuietly(work);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + mainClass.getSimpleName(), e);
        } catch (RuntimeException e) {
            stop(p);
            deleteQuietly(work);
            throw e;
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    String name() {
        return name;
    }

    @Override
    public void close() {
        stop(process);
        deleteQuietly(workDir);
    }

    /** Registers a JVM this benchmark started, so that the shutdown hook stops it if nothing else does. */
    static void track(Process p) {
        RUNNING.add(p);
    }

    /** Registers a PraaS process, so that the shutdown hook closes it (stop, temp files) if nothing else does. */
    static void track(LocalProcess p) {
        PROCESSES.add(p);
    }

    /** SIGTERM, then SIGKILL after 10 s; waits for the exit. */
    static void stop(Process p) {
        if (p == null) {
            return;
        }
        try {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            RUNNING.remove(p);
        }
    }

    private static void stopAll() {
        for (LocalProcess p : List.copyOf(PROCESSES)) {
            p.close(); // closing twice is harmless
        }
        for (Process p : List.copyOf(RUNNING)) {
            stop(p);
        }
        for (Path dir : List.copyOf(WORK_DIRS)) {
            deleteQuietly(dir);
        }
    }

    /** Child JVMs of this benchmark still alive: should be none once a benchmark returns. */
    static List<ProcessHandle> leftovers() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList();
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        WORK_DIRS.remove(dir);
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp directory: best effort
        }
    }

    // ---- used by the server mains, in their own JVMs ----

    /** Writes the port atomically, so the parent never reads half a number. */
    static void announcePort(Path portFile, int port) throws IOException {
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(port), StandardCharsets.US_ASCII);
        Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Exits this JVM when stdin reaches end-of-file: the benchmark JVM that started it is gone. */
    static void exitWhenParentDies() {
        Thread t = new Thread(() -> {
            try (InputStream in = System.in) {
                byte[] sink = new byte[256];
                while (in.read(sink) >= 0) {
                    // nothing is sent on stdin; any bytes are ignored
                }
            } catch (IOException e) {
                // stdin broke: the parent is gone as well
            }
            Runtime.getRuntime().halt(0);
        }, "parent-watch");
        t.setDaemon(true);
        t.start();
    }
}
