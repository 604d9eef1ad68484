package io.praas.process.launch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A PraaS process running as a separate OS process (a JVM with the project's flags) on this
 * machine: used by the tests, the benchmarks and the control plane's local backend.
 *
 * <pre>{@code
 * try (LocalProcess p = LocalProcess.builder(appJar).arg("--dev").start()) {
 *     int port = p.port();
 *     ...
 * }
 * }</pre>
 */
public final class LocalProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path logFile;
    private final Path workDir;

    private LocalProcess(Process process, int port, Path logFile, Path workDir) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
        this.workDir = workDir;
    }

    /** A process of {@code appJar}; by default on 127.0.0.1, any free port. */
    public static Builder builder(Path appJar) {
        return new Builder(appJar.toString());
    }

    /**
     * A process of the jar at {@code codeLocation}: a file or {@code s3://bucket/key}; null gives no
     * {@code --app-jar}, so the process takes its code from {@code PRAAS_APP_JAR} or
     * {@code PRAAS_APP_CODE} in its environment ({@link Builder#env}).
     */
    public static Builder builder(String codeLocation) {
        return new Builder(codeLocation);
    }

    /** The data-plane port the process bound. */
    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    /** What the process wrote to stdout and stderr so far. */
    public String log() {
        try {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM: the process sends GOAWAY, drains and exits. Returns its exit code. */
    public int stop(Duration timeout) {
        process.destroy();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** SIGKILL, no draining. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop(Duration.ofSeconds(15));
        }
        deleteTree(workDir);
    }

    /** Deletes a (temporary) directory and what it holds, as far as it can. */
    static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp directory
        }
    }

    /** The project's JVM flags (one list, in the root pom), as written into this module's resources. */
    public static List<String> jvmFlags() {
        try (InputStream in = LocalProcess.class.getResourceAsStream("/praas-jvm.flags")) {
            if (in == null) {
                throw new IllegalStateException("praas-jvm.flags is missing from the classpath; build with Maven");
            }
            String flags = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            return flags.isEmpty() ? List.of() : Arrays.asList(flags.split("\\s+"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The command that starts a process JVM: {@code java}, the project's flags, {@code jvmOptions},
     * then {@code praas process --app-jar appJar} (without {@code --app-jar} if {@code appJar} is
     * null); callers add further {@code praas process} options.
     */
    public static List<String> command(String javaBinary, List<String> jvmOptions, String classpath, String appJar) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary);
        cmd.addAll(jvmFlags());
        cmd.addAll(jvmOptions); // after the flags: they win
        cmd.addAll(List.of("-cp", classpath, "io.praas.process.Cli", "process"));
        if (appJar != null) {
            cmd.addAll(List.of("--app-jar", appJar));
        }
        return cmd;
    }

    /**
     * The command that starts a standby JVM ({@link Standby}): {@code java}, the project's flags,
     * {@code jvmOptions}, then {@code praas standby}; callers add its options.
     */
    public static List<String> standbyCommand(String javaBinary, List<String> jvmOptions, String classpath) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary);
        cmd.addAll(jvmFlags());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classpath, "io.praas.process.Cli", "standby"));
        return cmd;
    }

    /** The java binary of this JVM. */
    public static String currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The runtime classpath of this JVM without test classes: what a process needs. */
    public static String runtimeClasspath() {
        return Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes"))
                .collect(Collectors.joining(java.io.File.pathSeparator));
    }

    /** Options of a {@link LocalProcess}; {@link #arg} adds any option of {@code praas process}. */
    public static final class Builder {
        private final String appJar;
        private final List<String> args = new ArrayList<>();
        private final List<String> jvmOptions = new ArrayList<>();
        private final java.util.Map<String, String> env = new java.util.HashMap<>();
        private String classpath = runtimeClasspath();
        private String javaBinary = currentJava();
        private Duration startTimeout = Duration.ofSeconds(30);

        private Builder(String appJar) {
            this.appJar = appJar;
        }

        public Builder arg(String... more) {
            args.addAll(Arrays.asList(more));
            return this;
        }

        /** Adds a JVM option such as {@code -Xmx512m}. */
        public Builder jvmOption(String option) {
            jvmOptions.add(option);
            return this;
        }

        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Builder classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        public Builder javaBinary(String javaBinary) {
            this.javaBinary = javaBinary;
            return this;
        }

        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
            return this;
        }

        /** Starts the JVM and waits until the process serves. @throws IllegalStateException if it does not */
        public LocalProcess start() {
            try {
                Path work = Files.createTempDirectory("praas-process-");
                Path portFile = work.resolve("port");
                Path log = work.resolve("process.log");
                List<String> cmd = command(javaBinary, jvmOptions, classpath, appJar);
                cmd.addAll(List.of("--port-file", portFile.toString(),
                        "--parent-pid", Long.toString(ProcessHandle.current().pid())));
                if (!args.contains("--port")) {
                    cmd.addAll(List.of("--port", "0"));
                }
                cmd.addAll(args);
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                pb.environment().putAll(env);
                Process p = pb.start();
                long deadline = System.nanoTime() + startTimeout.toNanos();
                while (System.nanoTime() < deadline) {
                    if (Files.exists(portFile)) {
                        return new LocalProcess(p, Integer.parseInt(Files.readString(portFile).strip()), log, work);
                    }
                    if (!p.isAlive()) {
                        throw new IllegalStateException("process exited with " + p.exitValue() + " before serving:\n"
                                + Files.readString(log));
                    }
                    Thread.sleep(20);
                }
                p.destroyForcibly();
                throw new IllegalStateException("process did not serve within " + startTimeout + ":\n" + Files.readString(log));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting a process", e);
            }
        }
    }
}
