package io.praas.controlplane.backend;

import io.praas.backend.BackendException;
import io.praas.backend.BackendHandle;
import io.praas.backend.LaunchSpec;
import io.praas.backend.ProcessBackend;
import io.praas.backend.Resources;
import io.praas.process.launch.LocalProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Runs each process as a separate OS process on this machine: a JVM with the project's flags, its
 * heap sized from the process's memory and its processor count from its vCPUs.
 */
public final class LocalBackend implements ProcessBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LocalBackend.class);
    /** Share of a process's memory given to the heap; the rest is metaspace, threads, buffers. */
    static final double HEAP_SHARE = 0.75;

    private final Resources caps;
    private final Path logDirectory;
    private final String classpath;
    private final Map<String, Process> running = new ConcurrentHashMap<>();
    /** The class-data-sharing archive of process JVMs (AppCDS): it about halves a process's start. */
    private final Path classArchive;
    private final java.util.concurrent.atomic.AtomicBoolean archiving = new java.util.concurrent.atomic.AtomicBoolean();
    private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();

    /**
     * @param caps         the largest resources one process may have
     * @param logDirectory where each process's output goes ({@code <app>-<id>.log})
     * @param classpath    the process runtime's classpath
     */
    public LocalBackend(Resources caps, Path logDirectory, String classpath) {
        this.caps = caps;
        this.logDirectory = logDirectory;
        this.classpath = classpath;
        // One archive per classpath and JVM: another of either could not use it.
        String id = Integer.toHexString((classpath + System.getProperty("java.vm.version")).hashCode());
        this.classArchive = logDirectory.resolveSibling("cds").resolve("praas-process-" + id + ".jsa");
    }

    /** This JVM's classpath, which holds the process runtime. */
    public static String defaultClasspath() {
        return LocalProcess.runtimeClasspath();
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public Resources caps() {
        return caps;
    }

    @Override
    public CompletionStage<BackendHandle> start(LaunchSpec spec) {
        if (!spec.resources().fitsIn(caps)) {
            return CompletableFuture.failedFuture(new BackendException(BackendException.Reason.INVALID_REQUEST,
                    "resources " + spec.resources() + " exceed the local backend's caps " + caps));
        }
        try {
            Files.createDirectories(logDirectory);
            Path log = logDirectory.resolve(spec.application() + "-" + spec.processId() + ".log");
            List<String> options = new ArrayList<>();
            // Before the long classpath, so it survives the truncated command lines the OS reports:
            // how another node finds the process.
            options.add(marker(spec.application() + "/" + spec.processId()));
            Path archiveTmp = classArchiveOption(options);
            int heapMiB = Math.max(64, (int) (spec.resources().memoryMiB() * HEAP_SHARE));
            options.add("-Xmx" + heapMiB + "m");
            options.add("-XX:ActiveProcessorCount=" + Math.max(1, (int) Math.ceil(spec.resources().vcpu())));
            List<String> cmd = LocalProcess.command(LocalProcess.currentJava(), options, classpath, spec.codeLocation());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(spec.environment());
            Process p = pb.start();
            String key = spec.application() + "/" + spec.processId();
            running.put(key, p);
            BackendHandle handle = new BackendHandle(name(), Long.toString(p.pid()), Map.of("log", log.toString(), "key", key));
            p.onExit().thenAccept(done -> {
                running.remove(key, p);
                if (archiveTmp != null) {
                    publishClassArchive(archiveTmp);
                }
                LOG.info("process {} (pid {}) exited with {} (log {})", key, p.pid(), done.exitValue(), log);
                exitListeners.forEach(l -> l.exited(spec.application(), spec.processId(), handle));
            });
            LOG.info("started process {} as pid {} ({} vCPU, {} MiB, heap {} MiB)", key, p.pid(),
                    spec.resources().vcpu(), spec.resources().memoryMiB(), heapMiB);
            return CompletableFuture.completedFuture(handle);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new BackendException(BackendException.Reason.FAILED,
                    "cannot start a JVM for " + spec.processId() + ": " + e.getMessage(), e));
        }
    }

    @Override
    public CompletionStage<Void> stop(BackendHandle handle) {
        return CompletableFuture.runAsync(() -> {
            String key = handle.attributes().get("key");
            Process p = key == null ? null : running.remove(key);
            // A process started by another node of this machine is found by pid, if it is still a PraaS process.
            Optional<ProcessHandle> ph = p != null ? Optional.of(p.toHandle())
                    : ProcessHandle.of(Long.parseLong(handle.id())).filter(h -> isPraasProcess(h, key));
            ph.ifPresent(h -> {
                h.destroy(); // SIGTERM: GOAWAY, drain, exit
                try {
                    h.onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.warn("process {} did not exit within 30 s of SIGTERM; killing it", key);
                    h.destroyForcibly();
                }
            });
        });
    }

    /**
     * Adds the class-data-sharing option: use the archive when there is one; else let this process
     * write it when it exits (one at a time). Returns the file it writes, or null.
     */
    private Path classArchiveOption(List<String> cmd) throws IOException {
        if (Files.isRegularFile(classArchive)) {
            cmd.add("-XX:SharedArchiveFile=" + classArchive);
            return null;
        }
        if (!archiving.compareAndSet(false, true)) {
            return null;
        }
        Files.createDirectories(classArchive.getParent());
        Path tmp = classArchive.resolveSibling(classArchive.getFileName() + ".tmp");
        cmd.add("-XX:ArchiveClassesAtExit=" + tmp);
        return tmp;
    }

    private void publishClassArchive(Path tmp) {
        try {
            if (Files.size(tmp) > 0) {
                Files.move(tmp, classArchive, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                LOG.info("class-data-sharing archive for processes written: {}", classArchive);
            }
        } catch (IOException e) {
            LOG.debug("no class-data-sharing archive: {}", e.toString()); // a killed process writes none
        } finally {
            archiving.set(false);
        }
    }

    private static String marker(String key) {
        return "-Dpraas.process=" + key;
    }

    /** True when pid {@code h} is still the PraaS process {@code key} (not a reused pid). */
    private static boolean isPraasProcess(ProcessHandle h, String key) {
        return key != null && h.info().commandLine().map(c -> c.contains(marker(key) + " ")).orElse(false);
    }

    @Override
    public void onExit(ExitListener listener) {
        exitListeners.add(listener);
    }

    /** Kills every process this backend started (the control plane is going away). */
    @Override
    public void close() {
        for (Process p : running.values()) {
            p.destroy();
        }
        for (Process p : running.values()) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running.clear();
    }
}
