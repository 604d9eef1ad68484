package io.praas.controlplane.backend;

import io.praas.backend.BackendException;
import io.praas.backend.BackendHandle;
import io.praas.backend.LaunchSpec;
import io.praas.backend.ProcessBackend;
import io.praas.backend.Resources;
import io.praas.process.launch.LocalProcess;
import io.praas.process.launch.Standby;
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
 *
 * <p>It keeps up to {@code standby-jvms} (1 by default) pre-started JVMs per shape (heap and
 * processor count) that have run a warm-up process ({@link Standby}): a start of that shape hands its
 * arguments and environment to one of them over its stdin instead of starting a JVM. After each
 * start a standby of its shape is started {@link #REFILL_DELAY} later (off the path of the start),
 * unless the shape has enough; so the first start of a shape starts a JVM, and the pool grows past
 * one only when starts come faster than that. A standby that dies by itself is replaced (not one
 * younger than {@link #MIN_STANDBY_LIFE}). Standbys of at most {@link #MAX_SHAPES} shapes are kept,
 * those of the shape used longest ago go first; they do not count against the caps. Each standby
 * writes its own output, until it is given a process, to {@code standby-<id>-<n>.log} in the log
 * directory; what it writes there after (the JVM's own messages) is appended to the process's log
 * when it exits.
 */
public final class LocalBackend implements ProcessBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LocalBackend.class);
    /** Share of a process's memory given to the heap; the rest is metaspace, threads, buffers. */
    static final double HEAP_SHARE = 0.75;

    private final Resources caps;
    private final Path logDirectory;
    private final String classpath;
    /** The processes this backend started, by pid. */
    private final Map<String, Process> running = new ConcurrentHashMap<>();
    /** The class-data-sharing archive of process JVMs (AppCDS): it about halves a process's start. */
    private final Path classArchive;
    private final java.util.concurrent.atomic.AtomicBoolean archiving = new java.util.concurrent.atomic.AtomicBoolean();
    private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
    /** Standby JVMs per shape wanted; 0: none. */
    private final int standbysPerShape;
    /** The standby JVMs by shape, the shape used last at the end. */
    private final Map<List<String>, java.util.Deque<Pooled>> pool = new java.util.LinkedHashMap<>(8, 0.75f, true);
    private final java.util.concurrent.atomic.AtomicInteger pendingRefills = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger standbySequence = new java.util.concurrent.atomic.AtomicInteger();
    /** Names this backend's standbys apart from another node's in the same log directory. */
    private final String standbyPrefix = "standby-" + Long.toHexString(System.nanoTime() ^ ProcessHandle.current().pid()
            ^ java.util.concurrent.ThreadLocalRandom.current().nextLong()).substring(0, 6) + "-";
    private final java.util.concurrent.ScheduledExecutorService refills =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "praas-standby-refill");
                t.setDaemon(true);
                return t;
            });
    private volatile boolean closed;
    /** Set when a standby found it cannot set its process's environment: no more standbys. */
    private volatile boolean standbysUnusable;

    /** How long after a start its standby is replaced: the start it served has the machine to itself. */
    public static final java.time.Duration REFILL_DELAY = java.time.Duration.ofSeconds(2);
    /** A standby that dies by itself sooner than this after its start is not replaced until the next start. */
    static final java.time.Duration MIN_STANDBY_LIFE = java.time.Duration.ofSeconds(30);
    /** Shapes kept at most; the one used longest ago loses its standbys first. */
    static final int MAX_SHAPES = 4;
    /** Standby JVMs per shape at most ({@code standby-jvms}). */
    public static final int MAX_STANDBYS_PER_SHAPE = 8;

    /**
     * A standby JVM: its OS process, the marker on its command line, its own log, the file it writes
     * once warm, and whether it was given a process.
     */
    private record Pooled(Process process, String marker, Path log, Path ready,
                          java.util.concurrent.atomic.AtomicBoolean assigned) {
    }

    /**
     * @param caps         the largest resources one process may have
     * @param logDirectory where each process's output goes ({@code <app>-<id>.log})
     * @param classpath    the process runtime's classpath
     */
    public LocalBackend(Resources caps, Path logDirectory, String classpath) {
        this(caps, logDirectory, classpath, 1);
    }

    /**
     * As {@link #LocalBackend(Resources, Path, String)}, with {@code standbysPerShape} pre-started
     * JVMs per shape (0 starts a JVM for every process).
     */
    public LocalBackend(Resources caps, Path logDirectory, String classpath, int standbysPerShape) {
        if (standbysPerShape < 0 || standbysPerShape > MAX_STANDBYS_PER_SHAPE) {
            throw new IllegalArgumentException("standby-jvms must be in 0.." + MAX_STANDBYS_PER_SHAPE + ", not "
                    + standbysPerShape);
        }
        this.standbysPerShape = standbysPerShape;
        this.caps = caps;
        this.logDirectory = logDirectory;
        this.classpath = classpath;
        // One archive per classpath and JVM: another of either could not use it.
        String id = Integer.toHexString((classpath + System.getProperty("java.vm.version")).hashCode());
        this.classArchive = logDirectory.resolveSibling("cds").resolve("praas-process-" + id + ".jsa");
    }

    /**
     * The local backend with its settings ({@code --backend-setting}, {@code PRAAS_LOCAL_*}):
     * {@code standby-jvms} (0-8, default 1). @throws IllegalArgumentException for another key or a bad value
     */
    public static LocalBackend withSettings(Resources caps, Path logDirectory, String classpath,
                                            Map<String, String> settings) {
        int standbys = 1;
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (!e.getKey().equals("standby-jvms")) {
                throw new IllegalArgumentException("unknown setting '" + e.getKey() + "' of the local backend "
                        + "(known: standby-jvms)");
            }
            try {
                standbys = Integer.parseInt(e.getValue().strip());
            } catch (NumberFormatException x) {
                throw new IllegalArgumentException("standby-jvms must be a number in 0.." + MAX_STANDBYS_PER_SHAPE
                        + ", not '" + e.getValue() + "'");
            }
        }
        return new LocalBackend(caps, logDirectory, classpath, standbys);
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
        if (closed) {
            return CompletableFuture.failedFuture(new BackendException(BackendException.Reason.FAILED,
                    "the local backend is closed"));
        }
        try {
            Files.createDirectories(logDirectory);
            Path log = logDirectory.resolve(spec.application() + "-" + spec.processId() + ".log");
            List<String> shape = shape(spec.resources());
            BackendHandle handle = standbysPerShape > 0 ? launchOnStandby(spec, shape, log) : null;
            if (handle == null) {
                handle = startJvm(spec, shape, log);
            }
            if (closed) { // closed meanwhile: close() may not have seen this one
                ProcessHandle.of(Long.parseLong(handle.id())).ifPresent(ProcessHandle::destroy);
                return CompletableFuture.failedFuture(new BackendException(BackendException.Reason.FAILED,
                        "the local backend is closed"));
            }
            if (standbysPerShape > 0) {
                refill(shape);
            }
            return CompletableFuture.completedFuture(handle);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new BackendException(BackendException.Reason.FAILED,
                    "cannot start a JVM for " + spec.processId() + ": " + e.getMessage(), e));
        }
    }

    /** The JVM options that differ from process to process: heap and processor count. */
    private static List<String> shape(Resources r) {
        int heapMiB = Math.max(64, (int) (r.memoryMiB() * HEAP_SHARE));
        return List.of("-Xmx" + heapMiB + "m", "-XX:ActiveProcessorCount=" + Math.max(1, (int) Math.ceil(r.vcpu())));
    }

    /** Starts a JVM for the process. */
    private BackendHandle startJvm(LaunchSpec spec, List<String> shape, Path log) throws IOException {
        List<String> options = new ArrayList<>();
        // Before the long classpath, so it survives the truncated command lines the OS reports:
        // how another node finds the process.
        String marker = marker(spec.application() + "/" + spec.processId());
        options.add(marker);
        Path archiveTmp = classArchiveOption(options);
        options.addAll(shape);
        List<String> cmd = LocalProcess.command(LocalProcess.currentJava(), options, classpath, spec.codeLocation());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(spec.environment());
        Process p = pb.start();
        BackendHandle handle = track(spec, p, marker, log, () -> {
            if (archiveTmp != null) {
                publishClassArchive(archiveTmp);
            }
        });
        LOG.info("started process {} as pid {} ({} vCPU, {} MiB, {})", handle.attributes().get("key"), p.pid(),
                spec.resources().vcpu(), spec.resources().memoryMiB(), shape.get(0));
        return handle;
    }

    /**
     * Hands the process to a standby JVM of its shape; null when there is none (or it could not be
     * told), and the caller starts a JVM.
     */
    private BackendHandle launchOnStandby(LaunchSpec spec, List<String> shape, Path log) {
        byte[] launch;
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            new Standby.Launch(spec.codeLocation() == null ? List.of() : List.of("--app-jar", spec.codeLocation()),
                    spec.environment(), log).writeTo(out);
            launch = out.toByteArray();
        } catch (IOException | RuntimeException e) { // a setting over what a launch holds: a JVM of its own
            LOG.warn("process {}/{} cannot be handed to a standby JVM ({}); starting a JVM", spec.application(),
                    spec.processId(), e.toString());
            return null;
        }
        Pooled s;
        while ((s = take(shape)) != null) {
            try (java.io.OutputStream stdin = s.process().getOutputStream()) {
                stdin.write(launch);
            } catch (IOException e) {
                LOG.warn("standby JVM pid {} could not be given process {}/{} ({}); trying another", s.process().pid(),
                        spec.application(), spec.processId(), e.toString());
                s.process().destroyForcibly();
                continue;
            }
            s.assigned().set(true);
            Pooled given = s;
            BackendHandle handle = track(spec, s.process(), s.marker(), log, () -> keepJvmOutput(given, log));
            LOG.info("started process {} on standby JVM pid {} ({} vCPU, {} MiB, {})", handle.attributes().get("key"),
                    s.process().pid(), spec.resources().vcpu(), spec.resources().memoryMiB(), shape.get(0));
            return handle;
        }
        return null;
    }

    /**
     * Registers a started process: its handle (with the marker on its JVM's command line, how another
     * node finds it by pid), and what happens when it exits.
     */
    private BackendHandle track(LaunchSpec spec, Process p, String marker, Path log, Runnable onExit) {
        String key = spec.application() + "/" + spec.processId();
        String pid = Long.toString(p.pid());
        running.put(pid, p); // by pid: two incarnations of one id may overlap, and a stop names one
        Map<String, String> attributes = Map.of("log", log.toString(), "key", key, "marker", marker);
        BackendHandle handle = new BackendHandle(name(), Long.toString(p.pid()), attributes);
        p.onExit().thenAccept(done -> {
            running.remove(pid, p);
            onExit.run();
            LOG.info("process {} (pid {}) exited with {} (log {})", key, p.pid(), done.exitValue(), log);
            exitListeners.forEach(l -> l.exited(spec.application(), spec.processId(), handle));
        });
        return handle;
    }

    /**
     * A live, warm standby of {@code shape}, taken out of the pool; null if there is none. One still
     * warming up is left: it may yet find it cannot serve (exit code 4), and a JVM of the process's
     * own starts about as fast.
     */
    private Pooled take(List<String> shape) {
        synchronized (pool) {
            java.util.Deque<Pooled> standbys = pool.get(shape);
            if (standbys == null) {
                return null;
            }
            standbys.removeIf(s -> !s.process().isAlive());
            for (java.util.Iterator<Pooled> i = standbys.iterator(); i.hasNext(); ) {
                Pooled s = i.next();
                if (Files.exists(s.ready())) {
                    i.remove();
                    return s;
                }
            }
            return null;
        }
    }

    /** Starts a standby of {@code shape} after {@link #REFILL_DELAY}, unless the pool has enough. */
    private void refill(List<String> shape) {
        pendingRefills.incrementAndGet();
        try {
            refills.schedule(() -> {
                try {
                    startStandby(shape);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("cannot start a standby JVM ({}): {}", shape, e.toString());
                } finally {
                    pendingRefills.decrementAndGet();
                }
            }, REFILL_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            pendingRefills.decrementAndGet(); // closed
        }
    }

    private void startStandby(List<String> shape) throws IOException {
        synchronized (pool) {
            if (closed || standbysUnusable
                    || pool.getOrDefault(shape, new java.util.ArrayDeque<>()).size() >= standbysPerShape) {
                return;
            }
        }
        String name = standbyPrefix + standbySequence.incrementAndGet();
        Path log = logDirectory.resolve(name + ".log");
        Path ready = logDirectory.resolve(name + ".ready");
        Files.deleteIfExists(ready);
        List<String> options = new ArrayList<>();
        String marker = marker(name);
        options.add(marker);
        if (Files.isRegularFile(classArchive)) {
            options.add("-XX:SharedArchiveFile=" + classArchive);
        }
        options.addAll(shape);
        List<String> cmd = LocalProcess.standbyCommand(LocalProcess.currentJava(), options, classpath);
        cmd.addAll(List.of("--ready-file", ready.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        Pooled s = new Pooled(p, marker, log, ready, new java.util.concurrent.atomic.AtomicBoolean());
        java.time.Instant startedAt = java.time.Instant.now();
        java.util.List<Pooled> evicted = new ArrayList<>();
        synchronized (pool) {
            if (closed) {
                p.destroy();
                deleteQuietly(log);
                return;
            }
            pool.computeIfAbsent(shape, k -> new java.util.ArrayDeque<>()).add(s);
            while (pool.size() > MAX_SHAPES) { // the shape used longest ago goes
                List<String> oldest = pool.keySet().iterator().next();
                evicted.addAll(pool.remove(oldest));
            }
        }
        evicted.forEach(e -> e.process().destroy());
        p.onExit().thenAccept(done -> {
            if (s.assigned().get()) {
                return; // its process's exit: track() handles it
            }
            boolean wasPooled;
            synchronized (pool) {
                java.util.Deque<Pooled> standbys = pool.get(shape);
                wasPooled = standbys != null && standbys.remove(s);
            }
            deleteQuietly(ready);
            if (done.exitValue() == Standby.CANNOT_SET_ENVIRONMENT) { // said before it was ready, so never given a process
                standbysUnusable = true;
                LOG.warn("standby JVMs cannot set a process's environment in this JVM ({}); starting a JVM for "
                        + "every process from now on (log {})", LocalProcess.currentJava(), log);
            } else if (wasPooled && !closed) {
                // Died on its own (not evicted, closed or refused a launch): its log is kept for a
                // look, and it is replaced unless it died young (a JVM that cannot start would loop).
                boolean young = java.time.Duration.between(startedAt, java.time.Instant.now()).compareTo(MIN_STANDBY_LIFE) < 0;
                LOG.warn("standby JVM pid {} exited with {} before it was given a process (log {}){}", p.pid(),
                        done.exitValue(), log, young ? "; not replaced: it lived less than " + MIN_STANDBY_LIFE : "");
                if (!young) {
                    refill(shape);
                }
            } else {
                deleteQuietly(log);
            }
        });
        LOG.debug("started standby JVM pid {} ({})", p.pid(), shape);
    }

    /**
     * What a standby JVM wrote outside its process's log (the JVM's own messages) goes to the end of
     * that log; its own log and ready file are removed.
     */
    private static void keepJvmOutput(Pooled s, Path log) {
        try {
            if (Files.size(s.log()) > 0) {
                Files.writeString(log, "-- output of standby JVM pid " + s.process().pid() + " outside this log:\n",
                        java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.CREATE);
                Files.write(log, Files.readAllBytes(s.log()), java.nio.file.StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            LOG.debug("standby log {}: {}", s.log(), e.toString());
        }
        deleteQuietly(s.log());
        deleteQuietly(s.ready());
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", file, e.toString());
        }
    }

    /**
     * Waits until no standby JVM is being started or warming up, at most {@code timeout}; returns
     * whether that happened (benchmarks: a measured start should not share the machine with one).
     */
    public boolean awaitStandbysWarm(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean warming = pendingRefills.get() > 0;
            synchronized (pool) {
                for (java.util.Deque<Pooled> standbys : pool.values()) {
                    for (Pooled s : standbys) {
                        warming |= s.process().isAlive() && !Files.exists(s.ready());
                    }
                }
            }
            if (!warming) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Standby JVMs wanted per shape ({@code standby-jvms}). */
    public int standbysPerShape() {
        return standbysPerShape;
    }

    /** The pids of the standby JVMs alive now. */
    public List<Long> standbyPids() {
        synchronized (pool) {
            return pool.values().stream().flatMap(java.util.Collection::stream).map(Pooled::process)
                    .filter(Process::isAlive).map(Process::pid).toList();
        }
    }

    @Override
    public boolean keepsJournals() {
        return true; // every incarnation runs on this machine, with the journal directory on its disk
    }

    /**
     * A local process's environment stays on this machine: readable by the OS user the processes run
     * as, whose environments hold the store's keys and the application's secret already (a standby's
     * comes over a pipe).
     */
    @Override
    public boolean takesInlineSnapshots() {
        return true;
    }

    @Override
    public CompletionStage<Void> stop(BackendHandle handle) {
        return CompletableFuture.runAsync(() -> {
            String key = handle.attributes().get("key");
            Process p = running.remove(handle.id()); // this incarnation, not the latest of its id
            // A process started by another node of this machine is found by pid, if it is still a PraaS process.
            Optional<ProcessHandle> ph = p != null ? Optional.of(p.toHandle())
                    : ProcessHandle.of(Long.parseLong(handle.id())).filter(h -> isPraasProcess(h, handle.attributes()));
            if (ph.isEmpty() && ProcessHandle.of(Long.parseLong(handle.id())).isPresent()) {
                LOG.warn("pid {} is not process {} any more (its command line lacks {}); not stopping it", handle.id(),
                        key, handle.attributes().get("marker"));
            }
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

    /**
     * True when pid {@code h} is still the PraaS process of {@code attributes} (not a reused pid): its
     * command line carries the process's marker (a standby's names this backend and the standby;
     * handles from before markers were recorded name the process).
     */
    private static boolean isPraasProcess(ProcessHandle h, Map<String, String> attributes) {
        String marker = attributes.get("marker");
        if (marker == null && attributes.get("key") != null) {
            marker = marker(attributes.get("key"));
        }
        String wanted = marker;
        return wanted != null && h.info().commandLine().map(c -> c.contains(wanted + " ")).orElse(false);
    }

    @Override
    public void onExit(ExitListener listener) {
        exitListeners.add(listener);
    }

    /** Kills every process this backend started (the control plane is going away). */
    @Override
    public void close() {
        closed = true;
        refills.shutdownNow();
        List<Pooled> standbys = new ArrayList<>();
        synchronized (pool) {
            pool.values().forEach(standbys::addAll);
            pool.clear();
        }
        for (Pooled s : standbys) {
            s.process().destroy(); // stdin closes with it too: a standby that reads EOF exits
        }
        for (Pooled s : standbys) {
            try {
                if (!s.process().waitFor(10, TimeUnit.SECONDS)) {
                    s.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            deleteQuietly(s.log());
            deleteQuietly(s.ready());
        }
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
