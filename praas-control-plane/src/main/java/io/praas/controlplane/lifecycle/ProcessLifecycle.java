package io.praas.controlplane.lifecycle;

import io.praas.auth.DataPlaneToken;
import io.praas.backend.BackendException;
import io.praas.backend.BackendHandle;
import io.praas.backend.LaunchSpec;
import io.praas.backend.ProcessBackend;
import io.praas.backend.Resources;
import io.praas.controlplane.ControlPlaneException;
import io.praas.controlplane.ControlPlaneException.Code;
import io.praas.controlplane.control.ControlServer;
import io.praas.controlplane.registry.ApplicationRecord;
import io.praas.controlplane.registry.ProcessRecord;
import io.praas.controlplane.registry.ProcessStatus;
import io.praas.controlplane.registry.Registry;
import io.praas.controlplane.storage.ObjectStore;
import io.praas.process.storage.S3Settings;
import io.praas.process.swap.InlineSnapshot;
import io.praas.process.swap.SwapManifest;
import io.praas.protocol.Message;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Applications and the lifecycle of their processes: create (allocate on the backend, wait for the
 * process to register), stop, delete, failure on exit or missed heartbeats. Every method blocks;
 * call it off the event loop. State lives in the cluster-wide {@link Registry}; what is local to
 * this node is only the processes it launched and is waiting for.
 */
public final class ProcessLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessLifecycle.class);
    /** How long a swap-in waits for its inline snapshot copy before it lets the process read the store. */
    private static final long INLINE_READ_TIMEOUT_MS = 2000;
    /** Starts a lost journaled process gets (its journal is kept after the last fails), and the wait before the n-th retry (n times this). */
    static final int JOURNAL_RESTART_ATTEMPTS = 4;
    static final Duration JOURNAL_RESTART_BACKOFF = Duration.ofSeconds(1);
    /** How long a stopping node waits, beyond the drain timeout, for its journaled processes' swap-outs. */
    static final Duration STOP_SWAP_GRACE = Duration.ofSeconds(30);

    /** What a create-application request asks for; nulls take the defaults. */
    public record ApplicationSpec(String name, Resources resources, ApplicationRecord.Limits limits,
                                  ApplicationRecord.SwapPolicy swap, ApplicationRecord.Durability durability) {
    }

    /**
     * Settings of this node's lifecycle.
     *
     * @param node              this node's name, stored with the processes it manages
     * @param controlHost       where processes dial this node's control channel
     * @param controlPort       its port
     * @param processHost       the data-plane host processes of the local backend bind
     * @param codeCache         directory for downloaded application jars
     * @param allocationTimeout how long a new process may take to register
     * @param heartbeatTimeout  silence after which an ACTIVE process is FAILED
     * @param heartbeatInterval how often processes send metrics
     * @param defaultResources  resources of an application that names none
     * @param maxCodeBytes      largest application jar
     */
    public record Settings(String node, String controlHost, int controlPort, String processHost, Path codeCache,
                           Duration allocationTimeout, Duration heartbeatTimeout, Duration heartbeatInterval,
                           Resources defaultResources, long maxCodeBytes, S3Settings store, Duration swapDrainTimeout,
                           Duration swapTimeout, Path journals) {
    }

    /** Where this node reaches its processes' control channels, and the other nodes. */
    public interface Channels {
        /** Sends a control request to a process whose channel is on this node. */
        Future<Message> request(String application, String processId, Message request);

        /** True when the process, whose channel is on this node, takes SWAP_OUT's idle condition. */
        boolean takesIdleCondition(String application, String processId);

        /** Runs a swap-out on the node that manages the process. */
        ProcessRecord swapOutOn(String node, String application, String processId);
    }

    private final Settings settings;
    private final Registry registry;
    private final ProcessBackend backend;
    private final ObjectStore store;
    private final String controlSecret;
    private final Clock clock;
    private final Map<String, Waiting> awaitingRegistration = new ConcurrentHashMap<>();

    /** The registration a start on this node waits for, or null. */
    private CompletableFuture<ProcessRecord> registrationAwaited(String key) {
        Waiting w = awaitingRegistration.get(key);
        return w == null ? null : w.registered();
    }

    /** A start on this node waiting for its process's registration, and the transition it began with. */
    private record Waiting(CompletableFuture<ProcessRecord> registered, ProcessRecord.Transition began) {
    }
    /**
     * Incarnations that ended before their start recorded their handle (a process on a standby JVM
     * that fails at once can exit before backend.start's caller has written it): the start looks
     * here once it has, instead of waiting out the allocation timeout.
     */
    private final Map<String, BackendHandle> endedBeforeRecorded = new ConcurrentHashMap<>();

    private Channels channels;
    private volatile boolean shuttingDown;
    /** Processes whose snapshot is committed and whose exit is therefore expected (this node's). */
    private final java.util.Set<String> swapCommitted = ConcurrentHashMap.newKeySet();
    /** Processes whose swap-out answered ERROR, while what it left is removed (this node's). */
    private final java.util.Set<String> swapOutFailed = ConcurrentHashMap.newKeySet();
    /** Processes whose journal restart is starting a try that is not its last (this node's). */
    private final Map<String, Object> restartsWithTriesLeft = new ConcurrentHashMap<>();

    public ProcessLifecycle(Settings settings, Registry registry, ProcessBackend backend, ObjectStore store,
                            String controlSecret, Clock clock) {
        this.settings = settings;
        this.registry = registry;
        this.backend = backend;
        this.store = store;
        this.controlSecret = controlSecret;
        this.clock = clock;
        backend.onExit(this::exited);
    }

    public Settings settings() {
        return settings;
    }

    /**
     * This node is stopping. Its processes are swapped out first, so that another node swaps them in
     * on demand with their state: every one while another node of the cluster serves, else its
     * journaled ones (their state is to survive anything short of the machine, and their journal is on
     * this node's disk). A process that is starting, swapping in or swapping out is waited for first,
     * then swapped out if it ended ACTIVE. Bounded by the drain timeout plus {@link #STOP_SWAP_GRACE};
     * processes it loses from now on are not restarted (the rest stop with the node and are FAILED).
     */
    public void shutdown() {
        shuttingDown = true; // from here on nothing restarts on this node: a lost process is FAILED
        try {
            registry.markLeaving(settings.node()); // the others are not to take this for a crash
        } catch (RuntimeException e) {
            LOG.debug("cannot say this node leaves on purpose: {}", e.toString());
        }
        boolean othersServe = registry.clusterSize() > 1;
        // ACTIVE ones first: waiting for those under way must not keep the pool from them.
        List<ProcessRecord> leaving = registry.processesOfNode(settings.node()).stream()
                .filter(p -> p.status() == ProcessStatus.ACTIVE || settling(p.status()))
                .filter(p -> othersServe || registry.application(p.application())
                        .map(a -> a.durability() == ApplicationRecord.Durability.JOURNAL).orElse(false))
                .sorted(java.util.Comparator.comparing(p -> p.status() != ProcessStatus.ACTIVE))
                .toList();
        if (leaving.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + settings.swapDrainTimeout().plus(STOP_SWAP_GRACE).toNanos();
        java.util.concurrent.ExecutorService swaps = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(8, leaving.size()), r -> new Thread(r, "praas-stop-swap-out"));
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (ProcessRecord p : leaving) {
                done.add(swaps.submit(() -> {
                    try {
                        ProcessRecord now = settled(p.application(), p.id(), deadline);
                        if (now == null || now.status() != ProcessStatus.ACTIVE || !settings.node().equals(now.node())) {
                            return; // gone, swapped out, failed, moved, or still under way at the deadline
                        }
                        swapOut(p.application(), p.id());
                        LOG.info("process {} swapped out as its node stops", p.key());
                    } catch (RuntimeException e) {
                        LOG.warn("process {}: not swapped out as its node stops ({}); it stops with the node",
                                p.key(), e.getMessage());
                    }
                }));
            }
            // Bounded: a node's stop has a grace period; what is not done by then stops with the node.
            for (java.util.concurrent.Future<?> f : done) {
                try {
                    f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    LOG.warn("swap-outs of this node's processes did not all end within {}; the rest stop "
                            + "with the node", settings.swapDrainTimeout().plus(STOP_SWAP_GRACE));
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (ExecutionException e) {
                    LOG.warn("a swap-out as the node stops failed: {}", e.getCause().toString());
                }
            }
        } finally {
            swaps.shutdownNow();
        }
    }

    /**
     * The control-plane node {@code node} left the cluster without handing its processes over (it
     * crashed, or its stop was cut short): nobody watches their heartbeats or channels any more, and
     * their processes end with their channel. Its processes that were running or starting become
     * FAILED (a swap-in with a snapshot goes back to SWAPPED_OUT), so that their slots are free, their
     * peers' worlds say so, and a journaled one's journal, on that node's disk, is not waited for; what
     * still runs of them is stopped. Run by the cluster's oldest member, once most of the cluster has
     * been seen to remain (a node cut off from most of it takes nothing over).
     */
    public void nodeLeft(String node) {
        if (node.equals(settings.node())) {
            return;
        }
        String why = "its control-plane node " + node + " left the cluster";
        for (ProcessRecord p : registry.processesOfNode(node)) {
            // A swap-out that committed its snapshot before the node went is SWAPPED_OUT with it.
            ProcessRecord.Snapshot committed = null;
            if (p.status() == ProcessStatus.SWAPPING_OUT) {
                try {
                    committed = committedSwapOut(p).orElse(null);
                } catch (java.io.IOException | RuntimeException e) {
                    LOG.warn("process {}: whether its swap-out committed cannot be told ({})", p.key(), e.getMessage());
                }
            }
            ProcessRecord.Snapshot snapshot = committed;
            boolean[] taken = new boolean[1];
            registry.update(p.application(), p.id(), q -> {
                taken[0] = false; // (an update may call this again)
                if (!node.equals(q.node())) {
                    return q;
                }
                Instant now = clock.instant();
                switch (q.status()) {
                    case SWAPPING_IN -> {
                        taken[0] = true;
                        return q.snapshot() != null
                                ? q.withStatus(ProcessStatus.SWAPPED_OUT, now).withFailure("swap-in failed: " + why)
                                : q.failed(why, now);
                    }
                    case SWAPPING_OUT -> {
                        taken[0] = true;
                        return snapshot != null && java.util.Objects.equals(q.handle(), p.handle())
                                ? q.withStatus(ProcessStatus.SWAPPED_OUT, now).withSnapshot(snapshot)
                                .withFailure("its snapshot was committed, but " + why + " before it answered")
                                : q.failed(why + " while it swapped out", now);
                    }
                    case ALLOCATING, ACTIVE -> {
                        taken[0] = true;
                        return q.failed(why, now);
                    }
                    default -> {
                        return q;
                    }
                }
            });
            if (taken[0]) {
                // Its process stops when its control channel to that node is lost; what a container
                // backend would start again (a Knative Service) is removed here.
                LOG.warn("process {}: {}; taken over by node {}", p.key(), why, settings.node());
                if (p.handle() != null) {
                    backend.stop(p.handle()).exceptionally(e -> {
                        LOG.info("process {}: stopping what runs of it: {}", p.key(), e.toString());
                        return null;
                    });
                }
            }
        }
    }

    /** A status that ends by itself: a start, a swap-in or a swap-out under way. */
    private static boolean settling(ProcessStatus s) {
        return s == ProcessStatus.ALLOCATING || s == ProcessStatus.SWAPPING_IN || s == ProcessStatus.SWAPPING_OUT;
    }

    /** The process's record once it is no longer {@linkplain #settling settling} (or at the deadline); null when gone. */
    private ProcessRecord settled(String application, String id, long deadlineNanos) {
        while (true) {
            ProcessRecord p = registry.process(application, id).orElse(null);
            if (p == null || !settling(p.status()) || System.nanoTime() - deadlineNanos > 0) {
                return p;
            }
            if (!pause(Duration.ofMillis(50))) {
                return p;
            }
        }
    }

    /** Wires the control channels (they start after the lifecycle). */
    public void channels(Channels channels) {
        this.channels = channels;
    }

    public ProcessBackend backend() {
        return backend;
    }

    // ---- applications

    public ApplicationRecord createApplication(ApplicationSpec spec) {
        Names.check("application name", spec.name());
        Resources resources = spec.resources() != null ? spec.resources() : settings.defaultResources();
        checkCaps(resources);
        if (spec.durability() == ApplicationRecord.Durability.JOURNAL && !backend.keepsJournals()) {
            // Its processes would restart after a crash without their journal: from the last
            // snapshot alone, losing what they acknowledged since, which "journal" promises not to.
            throw ControlPlaneException.invalid("durability 'journal' needs a backend that keeps a process's journal "
                    + "across its restarts (the local backend); this node's starts each restart on fresh storage");
        }
        ApplicationRecord app = new ApplicationRecord(spec.name(), resources,
                spec.limits() != null ? spec.limits() : ApplicationRecord.Limits.DEFAULT,
                spec.swap() != null ? spec.swap() : ApplicationRecord.SwapPolicy.NEVER,
                spec.durability() != null ? spec.durability() : ApplicationRecord.Durability.MEMORY,
                null, Registry.newSecret(), clock.instant());
        if (!registry.createApplication(app)) {
            throw ControlPlaneException.conflict("application '" + spec.name() + "' exists");
        }
        LOG.info("application {} created ({} vCPU, {} MiB, max {} processes)", app.name(), resources.vcpu(),
                resources.memoryMiB(), app.limits().maxProcesses());
        return app;
    }

    public ApplicationRecord application(String name) {
        return registry.application(name).orElseThrow(() ->
                ControlPlaneException.notFound("no application '" + name + "'"));
    }

    public List<ApplicationRecord> applications() {
        return registry.applications();
    }

    /** Stores the application's jar in object storage; processes created from now on run it. */
    public ApplicationRecord uploadCode(String name, byte[] jar) {
        ApplicationRecord app = application(name);
        if (jar.length > settings.maxCodeBytes()) {
            throw new ControlPlaneException(Code.PAYLOAD_TOO_LARGE, "the jar is " + jar.length
                    + " bytes, over the limit of " + settings.maxCodeBytes());
        }
        if (jar.length < 4 || jar[0] != 'P' || jar[1] != 'K') {
            throw ControlPlaneException.invalid("the body is not a jar (zip) file");
        }
        String sha = sha256(jar);
        String key = codePrefix(name) + sha + ".jar";
        store.put(key, jar, "application/java-archive");
        // Written onto the record as it is now, and only if it still exists: an upload that ends after
        // the application's deletion must not bring it back.
        ApplicationRecord updated = registry.withApplicationLock(name, () -> {
            ApplicationRecord current = registry.application(name).orElse(null);
            if (current == null || registry.isDeleting(name)) {
                if (current == null || current.code() == null || !key.equals(current.code().objectKey())) {
                    deleteQuietly(key); // nothing will name it (the same jar, named still, stays)
                }
                throw ControlPlaneException.notFound("application '" + name + "' was deleted while its code was uploaded");
            }
            if (!store.exists(key)) {
                store.put(key, jar, "application/java-archive"); // a cleanup removed an old jar this one re-uploads
            }
            ApplicationRecord withCode = current.withCode(new ApplicationRecord.CodeInfo(key, sha, jar.length,
                    clock.instant()));
            registry.putApplication(withCode);
            removeReplacedJars(name, key);
            return withCode;
        });
        LOG.info("application {}: code {} ({} bytes) stored at {}", name, sha.substring(0, 12), jar.length, key);
        return updated;
    }

    /**
     * Stops and removes every process of the application, then the application and its code. From
     * its start on, the application takes no new process (a create or swap-in answers 409); one that
     * fails part-way leaves the application there, to be deleted again.
     */
    public void deleteApplication(String name) {
        ApplicationRecord read = application(name);
        // Under the lock creates and swap-ins take: each either inserted its record before (and is
        // deleted below) or sees the mark and refuses.
        ApplicationRecord app = registry.withApplicationLock(name, () -> {
            registry.markDeleting(name);
            return registry.application(name).orElse(read); // with the code of an upload that ended just before
        });
        for (ProcessRecord p : registry.processes(name)) {
            try {
                deleteProcess(name, p.id());
            } catch (ControlPlaneException e) {
                if (e.code() != Code.NOT_FOUND) {
                    throw e;
                } // deleted meanwhile (by a concurrent delete of the application): gone, as wanted
            }
        }
        try {
            store.deletePrefix(codePrefix(name)); // every jar it still has
        } catch (RuntimeException e) {
            LOG.warn("application {}: could not delete its code under {}: {}", name, codePrefix(name), e.toString());
        }
        registry.removeApplication(name);
        LOG.info("application {} deleted", name);
    }

    /**
     * Removes the application's jars replaced longer than three allocation timeouts ago: a start that
     * read the application before a jar was replaced launches with it and fetches it within an
     * allocation timeout. A jar was replaced when the next one (by upload time) was uploaded; the
     * newest and {@code current} stay. Under the application's lock, as uploads take it.
     */
    private void removeReplacedJars(String application, String current) {
        try {
            List<software.amazon.awssdk.services.s3.model.S3Object> jars = new java.util.ArrayList<>(
                    store.list(codePrefix(application)));
            jars.sort(java.util.Comparator.comparing(software.amazon.awssdk.services.s3.model.S3Object::lastModified));
            Instant replacedBefore = clock.instant().minus(settings.allocationTimeout().multipliedBy(3));
            for (int i = 0; i < jars.size() - 1; i++) {
                String jar = jars.get(i).key();
                if (!jar.equals(current) && jars.get(i + 1).lastModified().isBefore(replacedBefore)) {
                    store.delete(jar);
                    LOG.info("application {}: removed the jar {} it replaced at {}", application, jar,
                            jars.get(i + 1).lastModified());
                }
            }
        } catch (RuntimeException e) { // kept for the next upload, or the application's deletion
            LOG.warn("application {}: could not remove the jars it replaced: {}", application, e.toString());
        }
    }

    /** Where an application's jars are kept: {@code apps/<name>/code/<sha256>.jar}. */
    private static String codePrefix(String application) {
        return "apps/" + application + "/code/";
    }

    private void deleteQuietly(String key) {
        try {
            store.delete(key);
        } catch (RuntimeException e) {
            LOG.warn("could not delete {}: {}", key, e.toString());
        }
    }

    /** Under the application's lock: refuses a new process of an application being deleted. */
    private void refuseIfDeleting(String application) {
        if (registry.isDeleting(application)) {
            throw ControlPlaneException.conflict("application '" + application + "' is being deleted");
        }
    }

    /** A data-plane token and when it expires. */
    public record IssuedToken(String token, Instant expiresAt) {
    }

    /** A data-plane token for the application (and, if non-empty, one process). */
    public IssuedToken issueToken(String application, String process, Duration ttl) {
        ApplicationRecord app = application(application);
        if (!process.isEmpty()) {
            Names.check("process id", process);
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofDays(366)) > 0) {
            throw ControlPlaneException.invalid("ttlSeconds must be between 1 and 31622400");
        }
        Instant expires = clock.instant().plus(ttl);
        return new IssuedToken(DataPlaneToken.issue(secretOf(app), application, process, expires), expires);
    }

    /** The secret that signs the application's data-plane tokens. */
    public static byte[] secretOf(ApplicationRecord app) {
        return app.secret().getBytes(StandardCharsets.UTF_8);
    }

    // ---- processes

    public List<ProcessRecord> processes(String application, ProcessStatus status) {
        application(application);
        return registry.processes(application).stream()
                .filter(p -> status == null || p.status() == status)
                .toList();
    }

    public ProcessRecord process(String application, String id) {
        application(application);
        return registry.process(application, id).orElseThrow(() ->
                ControlPlaneException.notFound("no process '" + id + "' in application '" + application + "'"));
    }

    /**
     * Allocates a process and waits until it has registered (ACTIVE).
     *
     * @param name      the process id, or null for a generated one
     * @param resources its resources, or null for the application's defaults
     */
    public ProcessRecord createProcess(String application, String name, Resources resources) {
        ApplicationRecord app = application(application);
        if (app.code() == null) {
            throw ControlPlaneException.conflict("application '" + application + "' has no code yet; upload a jar "
                    + "with PUT /v1/applications/" + application + "/code");
        }
        String id = name != null ? Names.check("process id", name) : "p-" + UUID.randomUUID().toString().substring(0, 8);
        Resources res = resources != null ? resources : app.resources();
        checkCaps(res);
        ProcessRecord allocating = ProcessRecord.allocating(application, id, res, settings.node(), clock.instant());
        // The application's lock makes count-then-insert atomic across the cluster.
        registry.withApplicationLock(application, () -> {
            refuseIfDeleting(application);
            long used = registry.processes(application).stream().filter(p -> p.status().occupiesSlot()).count();
            if (used >= app.limits().maxProcesses()) {
                throw new ControlPlaneException(Code.OVERLOADED, "application '" + application + "' has "
                        + used + " of its " + app.limits().maxProcesses() + " processes; stop one or raise maxProcesses");
            }
            if (!registry.createProcess(allocating)) {
                throw ControlPlaneException.conflict("process '" + id + "' exists in application '" + application + "'");
            }
            return null;
        });
        LOG.info("process {}/{} allocating on {} ({} vCPU, {} MiB)", application, id, backend.name(), res.vcpu(),
                res.memoryMiB());
        return launch(app, allocating, null, null);
    }

    /**
     * Starts the process of {@code record} and waits until it registers.
     *
     * @param restoreManifest the snapshot it restores, or null for a fresh start
     * @param inlineAhead     the read of the process's inline snapshot copy, started before, or null
     */
    private ProcessRecord launch(ApplicationRecord app, ProcessRecord record, String restoreManifest,
                                 CompletionStage<Registry.InlineCopy> inlineAhead) {
        return launch(app, record, restoreManifest, inlineAhead, false);
    }

    /**
     * As above; {@code keepTrying} (a journal restart with tries left): a start that fails with its
     * incarnation known gone leaves the record ALLOCATING, its failure noted, for the next try,
     * instead of FAILED (clients waiting for the process keep waiting; its slot stays its own).
     */
    private ProcessRecord launch(ApplicationRecord app, ProcessRecord record, String restoreManifest,
                                 CompletionStage<Registry.InlineCopy> inlineAhead, boolean keepTrying) {
        String key = record.key();
        CompletableFuture<ProcessRecord> registered = new CompletableFuture<>();
        Waiting waiting = new Waiting(registered, record.latest());
        awaitingRegistration.put(key, waiting);
        Object tryToken = new Object();
        if (keepTrying) {
            restartsWithTriesLeft.put(key, tryToken);
        }
        BackendHandle[] started = new BackendHandle[1];
        try {
            Path jar = localCode(app);
            Map<String, String> env = new HashMap<>();
            env.put("PRAAS_APPLICATION", app.name());
            env.put("PRAAS_PROCESS_ID", record.id());
            // For backends whose processes cannot read this node's files (containers): the jar in the store.
            env.put("PRAAS_APP_CODE", "s3://" + settings.store().bucket() + "/" + app.code().objectKey());
            env.put("PRAAS_APP_SECRET", app.secret());
            env.put("PRAAS_CONTROL_PLANE", settings.controlHost() + ":" + settings.controlPort());
            env.put("PRAAS_CONTROL_TOKEN", ControlServer.issueToken(controlSecret, app.name(), record.id(),
                    incarnation(record.latest())));
            env.put("PRAAS_HOST", settings.processHost());
            env.put("PRAAS_PORT", "0");
            env.put("PRAAS_MAX_SESSIONS", Integer.toString(app.limits().maxSessionsPerProcess()));
            env.put("PRAAS_STATE_LIMIT", app.limits().stateLimitMiB() + "m");
            env.put("PRAAS_HEARTBEAT_INTERVAL", settings.heartbeatInterval().toMillis() + "ms");
            env.putAll(settings.store().environment());
            if (backend.takesInlineSnapshots()) {
                env.put("PRAAS_SWAP_INLINE", "true"); // its small snapshots come with a copy (SNAPSHOT.md)
            }
            if (restoreManifest != null) {
                env.put("PRAAS_SWAP_IN_MANIFEST", restoreManifest);
                inlineCopy(record.key(), restoreManifest, inlineAhead).ifPresent(copy ->
                        env.put("PRAAS_SWAP_IN_INLINE", java.util.Base64.getUrlEncoder().encodeToString(copy)));
            }
            if (app.durability() == ApplicationRecord.Durability.JOURNAL) {
                if (restoreManifest == null && record.transitions().size() == 1) {
                    forgetOtherJournals(record); // a new process of a name used before starts empty
                }
                env.put("PRAAS_JOURNAL_DIR", journalOf(record).toString());
            }
            LaunchSpec spec = new LaunchSpec(app.name(), record.id(), record.resources(), jar.toString(), env);
            long startedAt = System.nanoTime();
            BackendHandle handle = backend.start(spec).toCompletableFuture()
                    .get(settings.allocationTimeout().toMillis(), TimeUnit.MILLISECONDS);
            started[0] = handle;
            // Only onto this start's record: stopped or deleted meanwhile (and perhaps created again
            // under its name), the record is another's, and what this start began is stopped (below).
            ProcessRecord.Transition began = record.latest();
            Optional<ProcessRecord> mine = registry.update(app.name(), record.id(),
                    p -> startedBy(p, began) ? p.withHandle(handle) : p);
            if (mine.isEmpty() || !startedBy(mine.get(), began)) {
                throw new ControlPlaneException(Code.CONFLICT, "process " + key + " was stopped or deleted while it "
                        + "started");
            }
            if (handle.equals(endedBeforeRecorded.remove(key))) {
                exited(app.name(), record.id(), handle); // it ended before its handle was written
            }
            long left = settings.allocationTimeout().toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
            ProcessRecord active = registered.get(Math.max(1, left), TimeUnit.MILLISECONDS);
            LOG.info("process {} ACTIVE at {}:{}", key, active.endpoint().host(), active.endpoint().port());
            return active;
        } catch (TimeoutException e) {
            // Without a handle the backend may still be starting it: that start is not known to be gone.
            Optional<ProcessRecord> after = fail(record, "it did not start and register within "
                    + settings.allocationTimeout(), started[0], started[0] != null, keepTrying);
            throw startFailed(after, Code.PROCESS_UNAVAILABLE, "process " + key + " did not start and register within "
                    + settings.allocationTimeout() + " (praas up --allocation-timeout-seconds)");
        } catch (ExecutionException e) {
            // The backend could not start it, or its wait was failed (it exited, or could not restore).
            Throwable cause = e.getCause();
            Optional<ProcessRecord> after = fail(record, cause.getMessage(), started[0], true, keepTrying);
            if (cause instanceof ControlPlaneException cpe) {
                throw cpe;
            }
            if (cause instanceof BackendException be) {
                throw startFailed(after, switch (be.reason()) {
                    case INVALID_REQUEST -> Code.INVALID_ARGUMENT;
                    case CAPACITY -> Code.OVERLOADED;
                    case PERMISSION -> Code.FORBIDDEN;
                    case FAILED -> Code.PROCESS_UNAVAILABLE;
                }, be.getMessage());
            }
            throw startFailed(after, Code.PROCESS_UNAVAILABLE, "process " + key + " failed to start: " + cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(record, "interrupted while starting", started[0], false, false);
            throw new ControlPlaneException(Code.PROCESS_UNAVAILABLE, "interrupted while starting " + key);
        } catch (ControlPlaneException e) {
            throw startFailed(fail(record, e.getMessage(), started[0], true, keepTrying), e.code(), e.getMessage());
        } catch (RuntimeException e) {
            // Code download, backend start: whatever failed, the process must not hold its slot.
            Optional<ProcessRecord> after = fail(record, e.toString(), started[0], true, keepTrying);
            throw startFailed(after, Code.PROCESS_UNAVAILABLE, "process " + key + " could not start: " + e);
        } finally {
            awaitingRegistration.remove(key, waiting);
            endedBeforeRecorded.remove(key);
            restartsWithTriesLeft.remove(key, tryToken);
        }
    }

    /**
     * Ends a start that did not come up: stops what it started and marks the process FAILED, or, for
     * a swap-in whose incarnation is known to be gone ({@code gone}, and its stop done), SWAPPED_OUT
     * again, so it can be swapped in once more. Only if the record is still at this attempt's
     * transition: a later attempt (a swap-in after this one backed out) is left alone.
     */
    private Optional<ProcessRecord> fail(ProcessRecord attempt, String why, BackendHandle started, boolean gone,
                                         boolean keepTrying) {
        boolean stopped = started == null || stopAndWait(started, attempt.key(), "a start that failed");
        ProcessRecord.Transition began = attempt.latest();
        if (keepTrying && gone && stopped) {
            Optional<ProcessRecord> kept = registry.update(attempt.application(), attempt.id(), p ->
                    began.equals(p.latest()) ? p.withHandle(null).withFailure(attempt.failure() + "; a try failed: " + why)
                            : p);
            if (kept.isPresent() && began.equals(kept.get().latest())) {
                return kept; // ALLOCATING still: the next try follows
            }
        }
        return markFailed(attempt.application(), attempt.id(), why, p -> began.equals(p.latest()), gone && stopped);
    }

    /**
     * Whether {@code p} is still the record of the start that began with {@code began}: that
     * transition is there, and no stop, deletion, failure or other start came after it. (What the
     * process did meanwhile, registering before its backend's start returned, even swapping out, is
     * its own.) A failure found meanwhile (its channel lost before the handle was written) left
     * nothing to stop: the start stops what it began.
     */
    private static boolean startedBy(ProcessRecord p, ProcessRecord.Transition began) {
        List<ProcessRecord.Transition> t = p.transitions();
        int at = t.lastIndexOf(began);
        return at >= 0 && t.subList(at + 1, t.size()).stream().noneMatch(x -> x.status() == ProcessStatus.STOPPED
                || x.status() == ProcessStatus.DELETED || x.status() == ProcessStatus.FAILED
                || x.status() == ProcessStatus.ALLOCATING || x.status() == ProcessStatus.SWAPPING_IN);
    }

    /** Sleeps; false when interrupted. */
    private static boolean pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops {@code handle} and waits up to 60 s; false (logged) when the stop failed or did not finish. */
    private boolean stopAndWait(BackendHandle handle, String key, String what) {
        try {
            backend.stop(handle).toCompletableFuture().get(60, TimeUnit.SECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("process {}: stopping {} failed: {}", key, what, e.toString());
        }
        return false;
    }

    /** The exception for a failed start: SWAP_FAILED when a swap-in backed out to SWAPPED_OUT. */
    private static ControlPlaneException startFailed(Optional<ProcessRecord> after, Code code, String message) {
        boolean backedOut = after.filter(p -> p.status() == ProcessStatus.SWAPPED_OUT).isPresent();
        return backedOut && code != Code.SWAP_FAILED
                ? new ControlPlaneException(Code.SWAP_FAILED, message + "; it stays SWAPPED_OUT and its snapshot is kept")
                : new ControlPlaneException(code, message);
    }

    /** Downloads the application's jar into this node's cache, unless it is there. */
    private Path localCode(ApplicationRecord app) {
        Path target = settings.codeCache().resolve(app.name()).resolve(app.code().sha256() + ".jar");
        if (!Files.isRegularFile(target)) {
            store.download(app.code().objectKey(), target);
        }
        return target;
    }

    /** Stops a process gracefully; its state is dropped. Stopping a stopped process is a no-op. */
    public ProcessRecord stopProcess(String application, String id) {
        return stop(application, id, false);
    }

    /**
     * Stops the process and removes its snapshot objects and journal; with {@code strict}, a removal
     * of snapshot objects that fails throws (502) instead of being logged.
     */
    private ProcessRecord stop(String application, String id, boolean strict) {
        process(application, id);
        // STOPPED first, so the exit and the closed channel that follow are not taken for a failure.
        // The record the STOPPED update was applied to (the last the update's function saw): its handle
        // and status are what this stop acts on. A start writes its handle onto a record only while
        // it is that start's (launch), so a handle written after this read belongs to a start that
        // sees the STOPPED and stops what it began.
        ProcessRecord[] prior = new ProcessRecord[1];
        ProcessRecord stopped = registry.update(application, id, p -> {
            prior[0] = p;
            return p.status() == ProcessStatus.STOPPED || p.status() == ProcessStatus.DELETED ? p
                    : p.withStatus(ProcessStatus.STOPPED, clock.instant());
        }).orElseThrow(() -> ControlPlaneException.notFound("no process '" + id + "'"));
        Optional<ProcessRecord> before = Optional.ofNullable(prior[0]);
        BackendHandle handle = before.map(ProcessRecord::handle).orElse(null);
        if (before.isPresent() && (before.get().status() == ProcessStatus.ALLOCATING
                || before.get().status() == ProcessStatus.SWAPPING_IN)) {
            // A start under way on this node learns now, not at its allocation timeout; it stops what
            // it began (launch). Only the start of the record stopped, not one begun since.
            String key = ProcessRecord.key(application, id);
            Waiting waiter = awaitingRegistration.get(key);
            if (waiter != null && before.get().latest().equals(waiter.began())) {
                waiter.registered().completeExceptionally(new ControlPlaneException(Code.CONFLICT, "process " + key
                        + " was stopped while it started"));
            }
        }
        if (handle != null && before.get().status() != ProcessStatus.STOPPED) {
            stopAndWait(handle, ProcessRecord.key(application, id), "it");
            LOG.info("process {}/{} stopped", application, id);
        }
        // Decided on the record as stopped: a swap-out that began after the read above is in it.
        if (mayHaveSnapshotObjects(stopped) && !deleteSnapshots(application, id) && strict) {
            throw new ControlPlaneException(Code.BAD_GATEWAY, "process " + ProcessRecord.key(application, id)
                    + " is stopped, but its snapshot objects could not be removed from the object store; "
                    + "delete it again once the store is reachable");
        }
        forgetInlineCopy(application, id);
        try {
            io.praas.process.journal.Journal.deleteFiles(journalOf(application, id));
        } catch (RuntimeException e) {
            LOG.warn("process {}/{}: could not remove its journal: {}", application, id, e.toString());
        }
        return stopped;
    }

    private static void startThread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** Where this node keeps the journals of every incarnation of a process name. */
    private Path journalOf(String application, String id) {
        return settings.journals().resolve(application).resolve(id);
    }

    /**
     * The journal of this process, named for when it was created: a process deleted through another
     * node leaves its journal on this one, and a new process of the same name must not replay it.
     */
    private Path journalOf(ProcessRecord p) {
        Instant created = p.created();
        return journalOf(p.application(), p.id()).resolve("created-" + created.getEpochSecond() + "-" + created.getNano());
    }

    /** Removes the journals this node holds of earlier processes of {@code p}'s name. */
    private void forgetOtherJournals(ProcessRecord p) {
        Path mine = journalOf(p);
        try (java.util.stream.Stream<Path> dirs = Files.list(journalOf(p.application(), p.id()))) {
            for (Path d : dirs.filter(d -> !d.equals(mine)).toList()) {
                LOG.info("process {}: removing the journal {} of an earlier process of that name", p.key(), d);
                io.praas.process.journal.Journal.deleteFiles(d);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // none
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warn("process {}: could not look for earlier journals: {}", p.key(), e.toString());
        }
    }

    /**
     * Keeps a swap-out's inline snapshot copy for the next swap-in (SNAPSHOT.md, "Inline copies"), or
     * forgets the last one when this snapshot came without. Only a shortcut: a failure here leaves the
     * swap-in to read the store.
     */
    private void keepInlineCopy(String application, String id, Message.Swapped done) {
        if (done.inline().length == 0 || done.inline().length > InlineSnapshot.MAX_BYTES) {
            forgetInlineCopy(application, id);
            return;
        }
        if (!backend.takesInlineSnapshots()) {
            return; // its processes send none (PRAAS_SWAP_INLINE), and none is kept
        }
        try {
            registry.keepInlineSnapshot(application, id, new Registry.InlineCopy(done.manifestKey(), done.inline()));
        } catch (RuntimeException e) {
            LOG.warn("process {}/{}: could not keep its inline snapshot copy: {}", application, id, e.toString());
        }
    }

    /** Starts reading the process's inline snapshot copy; null when its backend takes none. */
    private CompletionStage<Registry.InlineCopy> readInlineCopy(String application, String id) {
        if (!backend.takesInlineSnapshots()) {
            return null;
        }
        try {
            return registry.inlineSnapshot(application, id);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The copy {@code inlineAhead} read, if it is one of the snapshot at {@code manifestKey}; else
     * (none, another generation's, a read that failed or took over {@link #INLINE_READ_TIMEOUT_MS})
     * the swap-in reads the store.
     */
    private static Optional<byte[]> inlineCopy(String key, String manifestKey,
                                               CompletionStage<Registry.InlineCopy> inlineAhead) {
        if (inlineAhead == null) {
            return Optional.empty();
        }
        try {
            Registry.InlineCopy copy = inlineAhead.toCompletableFuture().get(INLINE_READ_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return copy != null && copy.manifestKey().equals(manifestKey) ? Optional.of(copy.bytes()) : Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("process {}: could not read its inline snapshot copy, the swap-in reads the store: {}", key,
                    e instanceof ExecutionException ? e.getCause().toString() : e instanceof TimeoutException
                            ? "no answer within " + INLINE_READ_TIMEOUT_MS + " ms" : e.toString());
            return Optional.empty();
        }
    }

    private void forgetInlineCopy(String application, String id) {
        if (!backend.takesInlineSnapshots()) {
            return;
        }
        try {
            registry.keepInlineSnapshot(application, id, null);
        } catch (RuntimeException e) {
            LOG.warn("process {}/{}: could not remove its inline snapshot copy: {}", application, id, e.toString());
        }
    }

    /**
     * Whether the store may hold objects or unfinished uploads of {@code p}: it has a snapshot, or it
     * began a swap-out (one killed during its upload leaves the upload, and no snapshot), or its
     * record no longer holds every transition to tell.
     */
    private static boolean mayHaveSnapshotObjects(ProcessRecord p) {
        return p.snapshot() != null || p.transitionsTruncated()
                || p.transitions().stream().anyMatch(t -> t.status() == ProcessStatus.SWAPPING_OUT);
    }

    /** Removes the process's snapshot objects and unfinished uploads; false when the objects could not be. */
    private boolean deleteSnapshots(String application, String id) {
        boolean removed = true;
        try {
            int n = store.deletePrefix(SwapManifest.prefix(application, id));
            LOG.info("process {}/{}: removed {} snapshot objects", application, id, n);
        } catch (RuntimeException e) {
            LOG.warn("process {}/{}: could not remove its snapshot objects: {}", application, id, e.toString());
            removed = false;
        }
        try {
            int n = store.abortUploads(SwapManifest.prefix(application, id)); // of a swap-out stopped midway
            if (n > 0) {
                LOG.info("process {}/{}: aborted {} unfinished snapshot uploads", application, id, n);
            }
        } catch (RuntimeException e) {
            LOG.warn("process {}/{}: could not abort its unfinished snapshot uploads: {}", application, id, e.toString());
        }
        return removed;
    }

    /** Removes one uncommitted generation's objects (its manifest first) and its unfinished uploads; logged if it cannot. */
    private void discardGeneration(String application, String id, long generation) {
        String prefix = SwapManifest.generationPrefix(application, id, generation);
        try {
            store.delete(SwapManifest.manifestKey(application, id, generation));
            int n = store.deletePrefix(prefix) + store.abortUploads(prefix);
            if (n > 0) {
                LOG.info("process {}/{}: removed {} objects and uploads of its failed swap-out to generation {}",
                        application, id, n, generation);
            }
        } catch (RuntimeException e) {
            LOG.warn("process {}/{}: could not remove what its failed swap-out left of generation {} (a manifest "
                    + "there would be taken for the next attempt's commit if that attempt were lost): {}",
                    application, id, generation, e.toString());
        }
    }

    // ---- swapping

    /**
     * Swaps a process out: it drains, writes its snapshot to object storage and exits; the record
     * becomes SWAPPED_OUT with the snapshot's location, size and duration. Runs on the node that
     * manages the process (forwarded there if need be). A failed swap-out leaves it ACTIVE.
     */
    public ProcessRecord swapOut(String application, String id) {
        return swapOut(application, id, null);
    }

    /**
     * Swaps a process out as {@link #swapOut(String, String)}; with {@code ifIdleSince} (the
     * downscaler's: the last activity its heartbeats reported) only if the process has been idle
     * since, which it checks itself: else CONFLICT, and it stays ACTIVE with nothing done.
     */
    private ProcessRecord swapOut(String application, String id, Instant ifIdleSince) {
        ProcessRecord current = process(application, id);
        if (!settings.node().equals(current.node()) && current.status() == ProcessStatus.ACTIVE) {
            if (ifIdleSince != null) {
                // Moved to another node since the downscaler listed it here: that node judges it.
                throw ControlPlaneException.conflict("process " + current.key() + " is on node " + current.node()
                        + " now; its downscaler decides");
            }
            return channels.swapOutOn(current.node(), application, id);
        }
        // A process of an earlier build would not decode the idle condition: it gets none.
        long idleSinceMs = ifIdleSince == null || !channels.takesIdleCondition(application, id) ? 0
                : Math.max(1, ifIdleSince.toEpochMilli());
        ProcessStatus[] was = new ProcessStatus[1];
        ProcessRecord swapping = registry.update(application, id, p -> {
            was[0] = p.status();
            return p.status() == ProcessStatus.ACTIVE && settings.node().equals(p.node())
                    ? p.withStatus(ProcessStatus.SWAPPING_OUT, clock.instant()) : p;
        }).orElseThrow(() -> ControlPlaneException.notFound("no process '" + id + "'"));
        if (was[0] != ProcessStatus.ACTIVE) {
            throw ControlPlaneException.conflict("process " + swapping.key() + " is " + was[0]
                    + "; only an ACTIVE process swaps out");
        }
        long generation = swapping.snapshot() == null ? 1 : swapping.snapshot().generation() + 1;
        Message answer;
        Future<Message> asked = channels.request(application, id, new Message.SwapOut(generation,
                        settings.swapDrainTimeout().toMillis(), idleSinceMs))
                .onSuccess(m -> {
                    if (m instanceof Message.Swapped) {
                        swapCommitted.add(swapping.key()); // on the event loop, before the exit can be seen
                    }
                });
        try {
            answer = asked.toCompletionStage().toCompletableFuture()
                    .get(settings.swapTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            asked.onComplete(late -> swapCommitted.remove(swapping.key())); // an answer after the timeout too
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            String why = "it did not finish its swap-out: " + cause.getMessage();
            ProcessRecord after = swapOutLost(swapping, why, null, p -> true).orElse(null);
            if (after != null && after.status() == ProcessStatus.SWAPPED_OUT && after.snapshot() != null
                    && after.snapshot().generation() == generation) {
                return after; // its answer was lost, not its snapshot
            }
            throw new ControlPlaneException(Code.PROCESS_UNAVAILABLE, "process " + swapping.key() + " " + why
                    + (after == null ? "" : after.status() == ProcessStatus.ALLOCATING
                    ? "; it restarts from its last snapshot and its journal" : "; it is " + after.status()));
        }
        if (answer instanceof Message.Swapped done) {
            ProcessRecord.Snapshot snap = new ProcessRecord.Snapshot(done.generation(), done.manifestKey(),
                    done.snapshotBytes(), done.stateBytes(), done.durationMs(), clock.instant());
            keepInlineCopy(application, id, done); // before SWAPPED_OUT: a swap-in that follows finds it
            // The process emptied its journal after its commit; should that have failed, what it still
            // holds is in the snapshot, and replayed on top of it would deliver its messages twice.
            try {
                if (registry.application(application).map(a -> a.durability() == ApplicationRecord.Durability.JOURNAL)
                        .orElse(false)) {
                    // Under the lock a swap-in takes to begin, and only while the record is still this
                    // swap-out's: a swap-in begun meanwhile (its loss found committed first) uses it.
                    registry.withApplicationLock(application, () -> {
                        ProcessRecord now = registry.process(application, id).orElse(null);
                        if (now != null && (now.status() == ProcessStatus.SWAPPING_OUT
                                || now.status() == ProcessStatus.FAILED)
                                && java.util.Objects.equals(now.handle(), swapping.handle())) {
                            io.praas.process.journal.Journal.deleteFiles(journalOf(swapping));
                        }
                        return null;
                    });
                }
            } catch (RuntimeException e) {
                LOG.warn("process {}: could not remove its journal after its committed swap-out: {}", swapping.key(),
                        e.toString());
            }
            // Committed: SWAPPED_OUT, also if its exit was seen first and failed it (the exit may
            // reach the backend's thread before SWAPPED reaches the event loop), unless it was stopped
            // or deleted meanwhile, or has moved on: its lost swap-out was found committed already
            // (SWAPPED_OUT with this generation) and a swap-in may have begun since.
            Optional<ProcessRecord> updated = registry.update(application, id, p -> p.status() == ProcessStatus.SWAPPING_OUT
                    || p.status() == ProcessStatus.FAILED
                    ? p.withStatus(ProcessStatus.SWAPPED_OUT, clock.instant()).withSnapshot(snap).withFailure(null) : p);
            ProcessStatus now = updated.map(ProcessRecord::status).orElse(ProcessStatus.DELETED);
            if (now != ProcessStatus.SWAPPED_OUT && now != ProcessStatus.STOPPED && now != ProcessStatus.DELETED) {
                // Moved on since (swapped in again after its lost swap-out was found committed): the
                // snapshot it committed is its record's, and stays.
                swapCommitted.remove(swapping.key());
                LOG.info("process {}: its swap-out's late answer found it {}", swapping.key(), now);
                return updated.get();
            }
            if (now != ProcessStatus.SWAPPED_OUT) {
                // Stopped or deleted while it swapped out: it keeps no state, so neither does the store
                // (a stop after the update removes the copy itself).
                swapCommitted.remove(swapping.key());
                forgetInlineCopy(application, id);
                deleteSnapshots(application, id);
                throw ControlPlaneException.conflict("process " + swapping.key() + " was "
                        + updated.map(p -> p.status().name()).orElse("deleted") + " while it swapped out");
            }
            ProcessRecord out = updated.get();
            swapCommitted.remove(out.key());
            LOG.info("process {} SWAPPED_OUT: generation {}, {} bytes in {} ms at {}", out.key(), done.generation(),
                    done.snapshotBytes(), done.durationMs(), done.manifestKey());
            return out;
        }
        String why = answer instanceof Message.Error err ? err.message() : "unexpected answer " + answer;
        if (answer instanceof Message.Error err && err.code() == io.praas.protocol.ErrorCode.NOT_IDLE) {
            // Busy since its heartbeats said idle: it began nothing (no GOAWAY, nothing written).
            Instant now = clock.instant();
            registry.update(application, id, p -> p.status() == ProcessStatus.SWAPPING_OUT
                    ? p.withStatus(ProcessStatus.ACTIVE, now).withHeartbeatAt(now) : p);
            throw ControlPlaneException.conflict("process " + swapping.key() + " is not idle; not swapped out: " + why);
        }
        // What this attempt left of its generation goes before the process is ACTIVE (and may swap
        // out again, reusing the number): a manifest the store took though its answer failed would
        // otherwise pass, were the next attempt lost, for that attempt's commit.
        swapOutFailed.add(swapping.key());
        try {
            discardGeneration(application, id, generation);
            Instant now = clock.instant();
            registry.update(application, id, p -> p.status() == ProcessStatus.SWAPPING_OUT
                    ? p.withStatus(ProcessStatus.ACTIVE, now).withHeartbeatAt(now) : p);
        } finally {
            swapOutFailed.remove(swapping.key());
        }
        LOG.warn("process {}: swap-out failed, ACTIVE again: {}", swapping.key(), why);
        throw new ControlPlaneException(Code.SWAP_FAILED, "swap-out of " + swapping.key() + " failed and it serves "
                + "again: " + why);
    }

    /**
     * Swaps a process in: a new process with the same id restores the last snapshot before it serves.
     * A process that is ACTIVE already is returned as it is; one swapping in is waited for.
     */
    public ProcessRecord swapIn(String application, String id) {
        ApplicationRecord app = application(application);
        // The copy of a small snapshot is read while the record is locked and updated (also when the
        // process turns out not to be SWAPPED_OUT: a read of at most 12 KiB for nothing).
        CompletionStage<Registry.InlineCopy> inlineAhead = readInlineCopy(application, id);
        ProcessStatus[] was = new ProcessStatus[1];
        ProcessRecord record = registry.withApplicationLock(application, () -> {
            refuseIfDeleting(application);
            List<ProcessRecord> all = registry.processes(application);
            long used = all.stream().filter(p -> p.status().occupiesSlot()).count();
            // The scan has just read this process's record: the update starts from it.
            ProcessRecord read = all.stream().filter(p -> p.id().equals(id)).findFirst().orElse(null);
            return registry.update(application, id, read, p -> {
                was[0] = p.status();
                if (p.status() != ProcessStatus.SWAPPED_OUT) {
                    return p;
                }
                if (shuttingDown) {
                    // What it started would not be in the stop's list, and would stop with the node, FAILED.
                    throw new ControlPlaneException(Code.PROCESS_UNAVAILABLE, "control-plane node " + settings.node()
                            + " is stopping; it swaps nothing in (another node does, asked through its API)");
                }
                if (used >= app.limits().maxProcesses()) {
                    throw new ControlPlaneException(Code.OVERLOADED, "application '" + application + "' has " + used
                            + " of its " + app.limits().maxProcesses() + " processes; cannot swap " + id + " in");
                }
                // No handle until the new incarnation starts: the old one's exit is not this one's failure.
                return p.withStatus(ProcessStatus.SWAPPING_IN, clock.instant()).managedBy(settings.node())
                        .withFailure(null).withHandle(null);
            });
        }).orElseThrow(() -> ControlPlaneException.notFound("no process '" + id + "' in application '" + application + "'"));
        switch (was[0]) {
            case ACTIVE:
                return record;
            case ALLOCATING: // starting, or restarting from its journal after a crash
            case SWAPPING_IN:
            case SWAPPING_OUT:
                return awaitActive(application, id);
            case SWAPPED_OUT:
                break;
            default:
                throw ControlPlaneException.conflict("process " + record.key() + " is " + was[0]
                        + "; only a SWAPPED_OUT process swaps in");
        }
        LOG.info("process {} SWAPPING_IN from {}", record.key(), record.snapshot().manifestKey());
        return launch(app, record, record.snapshot().manifestKey(), inlineAhead);
    }

    /** Waits until a starting or swapping process is ACTIVE (or fails). */
    public ProcessRecord awaitActive(String application, String id) {
        long deadline = System.nanoTime() + settings.allocationTimeout().plus(settings.swapTimeout()).toNanos();
        while (System.nanoTime() < deadline) {
            ProcessRecord p = process(application, id);
            if (p.status() == ProcessStatus.ACTIVE) {
                return p;
            }
            if (p.status() == ProcessStatus.SWAPPED_OUT) {
                return swapIn(application, id);
            }
            if (p.status().terminal()) {
                throw new ControlPlaneException(Code.PROCESS_UNAVAILABLE, "process " + p.key() + " is " + p.status()
                        + (p.failure() != null ? " (" + p.failure() + ")" : ""));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new ControlPlaneException(Code.PROCESS_UNAVAILABLE, "process " + application + "/" + id + " did not become ACTIVE");
    }

    /** A process swapping in could not restore its snapshot: it stays SWAPPED_OUT, its snapshot kept. */
    public void restoreFailed(String application, String id, String incarnation, String reason) {
        boolean[] ours = new boolean[1];
        registry.update(application, id, p -> {
            ours[0] = p.status() == ProcessStatus.SWAPPING_IN && isIncarnation(p, incarnation);
            return ours[0] ? p.withStatus(ProcessStatus.SWAPPED_OUT, clock.instant()).withFailure("swap-in failed: " + reason)
                    : p; // (an earlier incarnation's report says nothing of the swap-in under way)
        });
        if (!ours[0]) {
            LOG.warn("process {}/{}: a failed restore reported by another incarnation than the one swapping in: {}",
                    application, id, reason);
            return;
        }
        LOG.error("process {}/{}: swap-in failed, it stays SWAPPED_OUT with its snapshot kept: {}", application, id, reason);
        CompletableFuture<ProcessRecord> waiter = registrationAwaited(ProcessRecord.key(application, id));
        if (waiter != null) {
            waiter.completeExceptionally(new ControlPlaneException(Code.SWAP_FAILED, "swap-in of " + application + "/"
                    + id + " failed; it stays SWAPPED_OUT and its snapshot is kept: " + reason));
        }
    }

    /** Swaps out this node's processes idle for longer than their application's swap policy; called periodically. */
    public void swapOutIdle() {
        Instant now = clock.instant();
        for (ProcessRecord p : registry.processesOfNode(settings.node())) {
            if (p.status() != ProcessStatus.ACTIVE || p.metrics().inFlight() > 0) {
                continue;
            }
            ApplicationRecord app = registry.application(p.application()).orElse(null);
            if (app == null || app.swap().idleSeconds() <= 0
                    || p.metrics().lastActivity().plusSeconds(app.swap().idleSeconds()).isAfter(now)) {
                continue;
            }
            try {
                LOG.info("process {} idle since {}: swapping it out", p.key(), p.metrics().lastActivity());
                swapOut(p.application(), p.id(), p.metrics().lastActivity());
            } catch (ControlPlaneException e) {
                LOG.warn("idle swap-out of {} did not happen: {}", p.key(), e.getMessage());
            } catch (RuntimeException e) { // one process's failure must not stop the sweep for the rest
                LOG.error("idle swap-out of {} failed", p.key(), e);
            }
        }
    }

    /** Stops the process if it runs and removes it from the registry. */
    public void deleteProcess(String application, String id) {
        stop(application, id, true); // also removes its snapshot objects, or throws (the record stays)
        registry.update(application, id, p -> null);
        LOG.info("process {}/{} deleted", application, id);
    }

    // ---- events from the control channel and the backend

    /** A process registered on this node's control channel; null when accepted, else why not. */
    /** The name of the incarnation a start launches: the time of the transition the start began with. */
    static String incarnation(ProcessRecord.Transition began) {
        return began.at().toString();
    }

    /** Whether {@code p} is, or is starting as, the incarnation named {@code incarnation}. */
    private static boolean isIncarnation(ProcessRecord p, String incarnation) {
        if (p.status() == ProcessStatus.ALLOCATING || p.status() == ProcessStatus.SWAPPING_IN) {
            return incarnation(p.latest()).equals(incarnation);
        }
        // ACTIVE: it registered already; the start it came from is the last ALLOCATING or SWAPPING_IN.
        List<ProcessRecord.Transition> t = p.transitions();
        for (int i = t.size() - 1; i >= 0; i--) {
            if (t.get(i).status() == ProcessStatus.ALLOCATING || t.get(i).status() == ProcessStatus.SWAPPING_IN) {
                return incarnation(t.get(i)).equals(incarnation);
            }
        }
        return false;
    }

    public String registered(String application, String id, String incarnation, String host, int port) {
        boolean[] stale = new boolean[1];
        Optional<ProcessRecord> updated = registry.update(application, id, p -> {
            stale[0] = false; // (an update may call this again)
            switch (p.status()) {
                case ALLOCATING, ACTIVE, SWAPPING_IN -> {
                    if (!isIncarnation(p, incarnation)) {
                        stale[0] = true; // an earlier incarnation's token: it must not take the process's place
                        return p;
                    }
                    return p.active(new ProcessRecord.Endpoint(host, port), settings.node(), clock.instant());
                }
                default -> {
                    return p;
                }
            }
        });
        if (stale[0]) {
            LOG.warn("process {}/{}: a registration with an earlier incarnation's token was refused", application, id);
            return "process " + id + " is another incarnation now; this one may not register";
        }
        updated.filter(p -> p.transitions().size() > 1
                && p.transitions().get(p.transitions().size() - 2).status() == ProcessStatus.SWAPPING_IN)
                .ifPresent(p -> LOG.info("process {} swapped in", p.key()));
        if (updated.isEmpty()) {
            return "no process '" + id + "' in application '" + application + "'";
        }
        if (updated.get().status() != ProcessStatus.ACTIVE) {
            return "process " + id + " is " + updated.get().status() + "; it may not register";
        }
        CompletableFuture<ProcessRecord> waiter = registrationAwaited(updated.get().key());
        if (waiter != null) {
            waiter.complete(updated.get());
        }
        return null;
    }

    /** The time on this lifecycle's clock (when a heartbeat arrived, say). */
    public Instant now() {
        return clock.instant();
    }

    public void heartbeat(String application, String id, Message.Heartbeat h) {
        heartbeat(application, id, h, clock.instant());
    }

    /**
     * A heartbeat that arrived at {@code arrived} (the process was alive then, however long its
     * update waited for a worker). Only this node's incarnation's: a channel another node took over
     * says nothing of the process.
     */
    public void heartbeat(String application, String id, Message.Heartbeat h, Instant arrived) {
        Instant now = arrived;
        // SWAPPING_OUT too: a swap-out that fails returns the process to ACTIVE, where its heartbeats
        // are checked again, and a long one must not leave the last one from before it began.
        registry.update(application, id, p -> p.status() != ProcessStatus.ACTIVE && p.status() != ProcessStatus.SWAPPING_OUT
                || !settings.node().equals(p.node()) || p.metrics().heartbeatAt().isAfter(now) ? p
                : p.withMetrics(new ProcessRecord.Metrics(h.invocations(), h.activeSessions(), h.stateBytes(),
                        Instant.ofEpochMilli(h.lastActivityEpochMs()), h.inFlight(), now)));
    }

    /** An incarnation of a process ended (the backend saw it exit). */
    private void exited(String application, String id, BackendHandle handle) {
        processLost(application, id, "the process exited", handle);
    }

    /**
     * A process went away without being stopped: its OS process or task ended ({@code ended} is the
     * handle of the incarnation that ended), its control channel closed, or its heartbeats stopped
     * ({@code ended} null). It becomes FAILED, unless its application is journaled: then it restarts
     * with the same id from its last snapshot plus its journal, losing nothing it acknowledged.
     */
    public void processLost(String application, String id, String why, BackendHandle ended) {
        processLost(application, id, why, ended, p -> true);
    }

    /**
     * As {@link #processLost(String, String, String, BackendHandle)}, acting only if {@code stillLost}
     * holds for the record when it is updated (a heartbeat that came after the check spares it).
     */
    private void processLost(String application, String id, String why, BackendHandle ended,
                             java.util.function.Predicate<ProcessRecord> lostAsChecked) {
        // Without a handle (a channel closed, heartbeats stopped) only this node's incarnation: a
        // channel another node took over says nothing of the process.
        java.util.function.Predicate<ProcessRecord> stillLost = ended != null ? lostAsChecked
                : lostAsChecked.and(p -> settings.node().equals(p.node()));
        if (shuttingDown) {
            // Only this node's incarnation: one it swapped out as it stops may run on another node by now.
            // A swap-in whose new incarnation ended backs out to SWAPPED_OUT: the snapshot still
            // holds the process, and another node can swap it in (FAILED would strand it).
            markFailed(application, id, "its control-plane node " + settings.node() + " stopped",
                    p -> settings.node().equals(p.node()) && (ended == null || ended.equals(p.handle())), false,
                    ended != null);
            return; // no restarts while this node stops its own processes
        }
        Optional<ProcessRecord> current = registry.process(application, id);
        if (current.isPresent() && ended != null && current.get().handle() == null
                && awaitingRegistration.containsKey(current.get().key())) {
            endedBeforeRecorded.put(current.get().key(), ended); // a start that has not recorded it yet
            current = registry.process(application, id); // unless it did meanwhile: then handled below
        }
        if (current.isEmpty() || ended != null && !ended.equals(current.get().handle())) {
            return; // an earlier incarnation
        }
        ProcessRecord lost = current.get();
        if (lost.status() == ProcessStatus.SWAPPING_OUT && !swapCommitted.contains(lost.key())) {
            // Store reads and perhaps a stop: not on the thread that reports exits.
            startThread("praas-swap-out-lost-" + id, () -> swapOutLost(lost, why, ended, stillLost));
            return;
        }
        // A journaled process restarts only once it ran (ACTIVE); one that ends while it starts fails
        // like any other, or its start would wait out the allocation timeout.
        ApplicationRecord app = lost.status() == ProcessStatus.ACTIVE
                ? registry.application(application).orElse(null) : null;
        boolean restarts = app != null && app.durability() == ApplicationRecord.Durability.JOURNAL;
        if (!restarts || swapCommitted.contains(lost.key())) {
            // Checked again in the update: a swap-in may have begun a new incarnation meanwhile (an
            // exit or a closed channel seen after the swap-out's answer). A lost channel without a
            // handle is a running incarnation's only if it is ACTIVE or swapping out: a new one
            // that is starting has no channel yet.
            java.util.function.Predicate<ProcessRecord> thisIncarnation = ended != null ? p -> ended.equals(p.handle())
                    : p -> p.status() == ProcessStatus.ACTIVE || p.status() == ProcessStatus.SWAPPING_OUT;
            markFailed(application, id, why, thisIncarnation.and(stillLost), ended != null);
            return;
        }
        BackendHandle old = lost.handle();
        restartFromJournal(app, lost, why, p -> p.status() == ProcessStatus.ACTIVE
                && java.util.Objects.equals(old, p.handle()) && stillLost.test(p));
    }

    /**
     * Restarts a journaled process that was lost from its last snapshot plus its journal, if
     * {@code stillLost} holds for its record when it is updated to ALLOCATING; returns the record
     * as it is then.
     */
    private Optional<ProcessRecord> restartFromJournal(ApplicationRecord app, ProcessRecord lost, String why,
                                                       java.util.function.Predicate<ProcessRecord> stillLost) {
        ProcessRecord[] restarting = new ProcessRecord[1];
        Optional<ProcessRecord> now = registry.update(app.name(), lost.id(), p -> {
            restarting[0] = null; // (an update may call this again)
            if (!stillLost.test(p)) {
                return p; // already handled, not running, or alive after all
            }
            restarting[0] = p.withStatus(ProcessStatus.ALLOCATING, clock.instant()).withHandle(null)
                    .withFailure("restarting from its journal: " + why);
            return restarting[0];
        });
        if (restarting[0] == null) {
            return now;
        }
        LOG.warn("process {} lost ({}); restarting it from its snapshot and journal", lost.key(), why);
        BackendHandle old = lost.handle();
        startThread("praas-restart-" + lost.id(), () -> {
            if (old != null && !stopAndWait(old, lost.key(), "an incarnation lost before its journal restart")) {
                // Still running, perhaps, and writing its journal: a second writer must not start.
                markFailed(app.name(), lost.id(), "lost (" + why + "), and its earlier incarnation could not be "
                        + "stopped for the restart from its journal; the journal is kept", p -> p.status()
                        == ProcessStatus.ALLOCATING && p.handle() == null, false);
                return;
            }
            ProcessRecord r = restarting[0];
            ProcessRecord.Transition began = r.latest();
            boolean ended = false;
            try {
                ended = restartTries(app, lost, r, began);
            } finally {
                if (!ended) { // a throw out of the tries: the record must not wait ALLOCATING for nobody
                    try {
                        markFailed(app.name(), lost.id(), "its restart from its journal broke off",
                                p -> p.status() == ProcessStatus.ALLOCATING && began.equals(p.latest()), false);
                    } catch (RuntimeException e) {
                        LOG.warn("process {}: its restart from its journal broke off: {}", lost.key(), e.toString());
                    }
                }
            }
        });
        return now;
    }

    /**
     * The tries of a journal restart ({@link #JOURNAL_RESTART_ATTEMPTS}); true when they ended as
     * they should (started, failed for good, or left to a stop, delete or swap-in that came between).
     */
    private boolean restartTries(ApplicationRecord app, ProcessRecord lost, ProcessRecord first,
                                 ProcessRecord.Transition began) {
        ProcessRecord r = first;
        for (int attempt = 1; ; attempt++) {
            // Each try only while the record is still this restart's: a stop, delete or swap-in may
            // have come between, while the old incarnation was stopped (up to its grace period) or
            // during the pause after a failed try.
            ProcessRecord again = registry.process(app.name(), lost.id()).orElse(null);
            if (again == null || again.status() != ProcessStatus.ALLOCATING || !began.equals(again.latest())) {
                return true;
            }
            r = again;
            boolean last = attempt == JOURNAL_RESTART_ATTEMPTS;
            try {
                if (r.snapshot() == null) {
                    launch(app, r, null, null, !last);
                } else {
                    launch(app, r, r.snapshot().manifestKey(), readInlineCopy(app.name(), lost.id()), !last);
                }
                return true;
            } catch (RuntimeException e) {
                if (last) {
                    LOG.error("process {}: restart from its journal failed {} times, the last: {}; the journal "
                            + "is kept until the process is deleted or stopped", r.key(), attempt, e.getMessage());
                    return true;
                }
                LOG.warn("process {}: restart from its journal failed ({}); trying again", r.key(), e.getMessage());
            }
            if (!pause(JOURNAL_RESTART_BACKOFF.multipliedBy(attempt)) || shuttingDown) {
                return false; // failed by the caller (this node stops)
            }
        }
    }

    /**
     * A process ended, or was given up on, while it swapped out, before this node had its answer. It
     * is stopped first (nothing may commit after the store is read), then: if it committed the
     * snapshot of this swap-out before it ended, it is SWAPPED_OUT with that snapshot; if not, a
     * journaled process restarts from its last snapshot plus its journal (which a process truncates
     * only after a commit), and any other is FAILED, its state having been in its memory. Acts only if
     * {@code stillLost} holds for the record, still SWAPPING_OUT in the same incarnation; returns the
     * record as it is then.
     */
    private Optional<ProcessRecord> swapOutLost(ProcessRecord lost, String why, BackendHandle ended,
                                                java.util.function.Predicate<ProcessRecord> stillLost) {
        String application = lost.application();
        String id = lost.id();
        BackendHandle old = lost.handle();
        if (old != null && !old.equals(ended)) {
            stopAndWait(old, lost.key(), "it after its lost swap-out");
        }
        java.util.function.Predicate<ProcessRecord> same = p -> p.status() == ProcessStatus.SWAPPING_OUT
                && java.util.Objects.equals(old, p.handle()) && stillLost.test(p);
        long generation = lost.snapshot() == null ? 1 : lost.snapshot().generation() + 1;
        Optional<ProcessRecord.Snapshot> committed;
        try {
            committed = committedSwapOut(lost);
        } catch (java.io.IOException | RuntimeException e) {
            return markFailed(application, id, why + "; whether it committed snapshot generation " + generation
                    + " cannot be told (" + e.getMessage() + "), so its objects and journal are kept", same, false);
        }
        if (committed.isPresent()) {
            ProcessRecord.Snapshot snap = committed.get();
            forgetInlineCopy(application, id); // the last copy is of an older generation
            // What the process would have done after its commit: the snapshot holds everything its
            // journal does (a swap-in would replay it again on top, mailbox messages twice).
            try {
                io.praas.process.journal.Journal.deleteFiles(journalOf(lost));
            } catch (RuntimeException e) {
                return markFailed(application, id, why + "; it committed snapshot generation " + generation
                        + " but its journal could not be emptied (" + e.getMessage() + ")", same, false);
            }
            Optional<ProcessRecord> r = registry.update(application, id, p -> same.test(p)
                    ? p.withStatus(ProcessStatus.SWAPPED_OUT, clock.instant()).withSnapshot(snap)
                    .withFailure("its snapshot was committed, but it ended before it answered: " + why) : p);
            LOG.warn("process {}: {} after it committed snapshot generation {}; SWAPPED_OUT with it", lost.key(),
                    why, generation);
            return r;
        }
        ApplicationRecord app = registry.application(application).orElse(null);
        if (app != null && app.durability() == ApplicationRecord.Durability.JOURNAL && !shuttingDown) {
            return restartFromJournal(app, lost, why + " while it swapped out", same);
        }
        return markFailed(application, id, why + " while it swapped out, before it committed its snapshot", same,
                false);
    }

    /**
     * The snapshot the swap-out of {@code swapping} (SWAPPING_OUT) committed, if its manifest is in
     * the store; empty if it did not commit (or answered ERROR here, whatever its objects say while
     * they are removed). Throws when the store cannot tell.
     */
    private Optional<ProcessRecord.Snapshot> committedSwapOut(ProcessRecord swapping) throws java.io.IOException {
        long generation = swapping.snapshot() == null ? 1 : swapping.snapshot().generation() + 1;
        String manifestKey = SwapManifest.manifestKey(swapping.application(), swapping.id(), generation);
        byte[] json = swapOutFailed.contains(swapping.key()) ? null : store.getIfExists(manifestKey).orElse(null);
        SwapManifest committed = json == null ? null : SwapManifest.fromJson(json);
        if (committed == null || committed.generation() != generation) {
            return Optional.empty();
        }
        Instant since = swapping.latest().at();
        return Optional.of(new ProcessRecord.Snapshot(generation, manifestKey, committed.totalBytes(),
                committed.stateBytes(), Math.max(0, Duration.between(since, committed.createdAt()).toMillis()),
                committed.createdAt()));
    }

    /** Marks a running process FAILED (not one that was stopped or deleted on purpose). */
    public Optional<ProcessRecord> markFailed(String application, String id, String why) {
        return markFailed(application, id, why, p -> true, false);
    }

    /**
     * Marks a running process FAILED if {@code stillThis} holds for its record when it is updated (the
     * incarnation that failed is still the current one); else leaves it, and its start, alone. A
     * swap-in whose incarnation is {@code gone} (it exited, or was stopped) goes back to SWAPPED_OUT
     * instead: nothing of it was acknowledged, and none of it can register later.
     */
    private Optional<ProcessRecord> markFailed(String application, String id, String why,
                                               java.util.function.Predicate<ProcessRecord> stillThis, boolean gone) {
        return markFailed(application, id, why, stillThis, gone, gone);
    }

    /** As above; {@code swapInGone}: a SWAPPING_IN incarnation that ended backs out to SWAPPED_OUT. */
    private Optional<ProcessRecord> markFailed(String application, String id, String why,
                                               java.util.function.Predicate<ProcessRecord> stillThis, boolean gone,
                                               boolean swapInGone) {
        boolean swapped = swapCommitted.contains(ProcessRecord.key(application, id));
        boolean[] failedNow = new boolean[1];
        boolean[] startOfThis = new boolean[1];
        boolean[] swapInBacksOut = new boolean[1];
        Optional<ProcessRecord> r = registry.update(application, id, p -> {
            failedNow[0] = false; // (an update may call this again)
            startOfThis[0] = false;
            if (!stillThis.test(p)) {
                return p; // an earlier incarnation's end
            }
            boolean fails = switch (p.status()) {
                case ALLOCATING, ACTIVE, SWAPPING_IN -> true;
                case SWAPPING_OUT -> !swapped;
                default -> false;
            };
            if (fails && gone && p.status() == ProcessStatus.ALLOCATING && restartsWithTriesLeft.containsKey(p.key())) {
                fails = false; // a journal restart's try that ended: its start notes it and tries again
            }
            failedNow[0] = fails;
            // A start that waits now is this incarnation's (failed, or stopped meanwhile), unless the
            // process is swapped out: a swap-in may begin once this update lets go of the record.
            startOfThis[0] = p.status() != ProcessStatus.SWAPPED_OUT; // (a status that fails never is)
            swapInBacksOut[0] = swapInGone && fails && p.status() == ProcessStatus.SWAPPING_IN && p.snapshot() != null;
            if (swapInBacksOut[0]) {
                // Nothing of the new incarnation was acknowledged before it was ACTIVE: the snapshot
                // still holds the process, for another swap-in.
                return p.withStatus(ProcessStatus.SWAPPED_OUT, clock.instant()).withFailure("swap-in failed: " + why);
            }
            return fails ? p.failed(why, clock.instant()) : p;
        });
        if (swapInBacksOut[0]) {
            LOG.warn("process {}/{}: swap-in failed, it stays SWAPPED_OUT with its snapshot kept: {}", application, id, why);
        } else if (failedNow[0]) {
            LOG.warn("process {}/{} FAILED: {}", application, id, why);
        }
        if (!startOfThis[0] && r.isPresent()) { // (a deleted process's start fails too)
            LOG.debug("process {}/{}: {}; not the incarnation that runs or starts now", application, id, why);
            return r;
        }
        CompletableFuture<ProcessRecord> waiter = registrationAwaited(ProcessRecord.key(application, id));
        if (waiter != null) {
            waiter.completeExceptionally(swapInBacksOut[0]
                    ? new ControlPlaneException(Code.SWAP_FAILED, "swap-in of " + application + "/" + id
                    + " failed; it stays SWAPPED_OUT and its snapshot is kept: " + why)
                    : new ControlPlaneException(Code.PROCESS_UNAVAILABLE,
                    "process " + application + "/" + id + " failed while starting: " + why));
        }
        return r;
    }

    /** Fails this node's ACTIVE processes whose heartbeats stopped; called periodically. */
    public void checkHeartbeats() {
        Instant limit = clock.instant().minus(settings.heartbeatTimeout());
        for (ProcessRecord p : registry.processesOfNode(settings.node())) {
            if (p.status() == ProcessStatus.ACTIVE && p.metrics().heartbeatAt().isBefore(limit)) {
                // Checked again where the record is updated: the list was read before, and a heartbeat
                // may have come since.
                processLost(p.application(), p.id(), "no heartbeat for " + settings.heartbeatTimeout(), null,
                        r -> r.metrics().heartbeatAt().isBefore(limit));
                registry.process(p.application(), p.id()).filter(r -> r.status() == ProcessStatus.FAILED)
                        .map(ProcessRecord::handle).ifPresent(backend::stop);
            }
        }
    }

    private void checkCaps(Resources r) {
        if (!r.fitsIn(backend.caps())) {
            throw ControlPlaneException.invalid("resources " + r.vcpu() + " vCPU / " + r.memoryMiB()
                    + " MiB exceed the " + backend.name() + " backend's caps of " + backend.caps().vcpu()
                    + " vCPU / " + backend.caps().memoryMiB() + " MiB");
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
