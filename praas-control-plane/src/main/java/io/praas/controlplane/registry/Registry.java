package io.praas.controlplane.registry;

import com.hazelcast.config.Config;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.IndexType;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The cluster-wide registry of applications and processes: Hazelcast IMaps, so every control-plane
 * node answers for every application and process. Changes of one process (or one application's
 * allocation) are serialised (by compare-and-set, or Hazelcast's per-key locks), so no two nodes
 * change the same process at once. All methods block: call them off the event loop.
 */
public final class Registry {
    private final HazelcastInstance hazelcast;
    private static final long LOCK_WAIT_SECONDS = 30;
    private static final int CAS_ATTEMPTS = 8;

    /** The Hazelcast map of the process records, keyed {@code application/id}. */
    public static final String PROCESSES = "praas-processes";

    private final IMap<String, ApplicationRecord> applications;
    private final IMap<String, ProcessRecord> processes;
    private final IMap<String, String> settings;
    private final IMap<String, InlineCopy> inlineSnapshots;

    /**
     * Adds what the registry's maps need to a member's configuration: hash indexes of the process
     * records by application and by managing node, so that the processes of one application (every
     * create, swap-in, invocation routed through the control plane, world update) or of one node (the
     * heartbeat check, the downscaler) are found without reading every record of the cluster. Every
     * member configures it alike; a member without them still answers, by reading every record
     * (`./praas bench registry` compares the two).
     */
    public static Config configure(Config config) {
        config.getMapConfig(PROCESSES)
                .addIndexConfig(new IndexConfig(IndexType.HASH, "application"))
                .addIndexConfig(new IndexConfig(IndexType.HASH, "node"));
        return config;
    }

    public Registry(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
        this.applications = hazelcast.getMap("praas-applications");
        this.processes = hazelcast.getMap(PROCESSES);
        this.settings = hazelcast.getMap("praas-settings");
        this.inlineSnapshots = hazelcast.getMap("praas-inline-snapshots");
    }

    /** How many control-plane nodes the cluster has now, this one included. */
    public int clusterSize() {
        return hazelcast.getCluster().getMembers().size();
    }

    /** A cluster-wide setting, created once by whichever node asks first. */
    public String setting(String name, Supplier<String> initial) {
        String existing = settings.get(name);
        if (existing != null) {
            return existing;
        }
        String created = initial.get();
        String raced = settings.putIfAbsent(name, created);
        return raced != null ? raced : created;
    }

    /** A random secret, base64url. */
    public static String newSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    // ---- applications

    public Optional<ApplicationRecord> application(String name) {
        return Optional.ofNullable(applications.get(name));
    }

    /** False when an application of that name exists. */
    public boolean createApplication(ApplicationRecord app) {
        boolean created = applications.putIfAbsent(app.name(), app) == null;
        if (created) {
            settings.delete(DELETING + app.name()); // a mark a deletion left when its node died before the end
        }
        return created;
    }

    public List<ApplicationRecord> applications() {
        return applications.values().stream().sorted(Comparator.comparing(ApplicationRecord::name)).toList();
    }

    public void putApplication(ApplicationRecord app) {
        applications.set(app.name(), app);
    }

    public void removeApplication(String name) {
        applications.delete(name);
        settings.delete(DELETING + name);
    }

    private static final String DELETING = "deleting/";
    private static final String LEAVING = "leaving/";

    /** A node says it leaves the cluster on purpose (it stops, having handed its processes over). */
    public void markLeaving(String node) {
        settings.set(LEAVING + node, "1");
    }

    /** Whether {@code node} said it leaves on purpose; forgets that it did. */
    public boolean leftOnPurpose(String node) {
        return settings.remove(LEAVING + node) != null;
    }

    /** Marks the application as being deleted (call under its lock): it takes no new processes. */
    public void markDeleting(String name) {
        settings.set(DELETING + name, "1");
    }

    /** Whether a deletion of the application has begun (and not ended with its removal). */
    public boolean isDeleting(String name) {
        return settings.containsKey(DELETING + name);
    }

    /** Runs {@code action} holding the application's cluster-wide lock (allocation decisions). */
    public <T> T withApplicationLock(String application, Supplier<T> action) {
        lock(applications, application);
        try {
            return action.get();
        } finally {
            applications.unlock(application);
        }
    }

    // ---- processes

    public Optional<ProcessRecord> process(String application, String id) {
        return Optional.ofNullable(processes.get(ProcessRecord.key(application, id)));
    }

    /** The processes of {@code application}, by id. */
    public List<ProcessRecord> processes(String application) {
        return processes.values(Predicates.equal("application", application)).stream()
                .sorted(Comparator.comparing(ProcessRecord::id))
                .toList();
    }

    /** The processes control-plane node {@code node} manages, in no order. */
    public List<ProcessRecord> processesOfNode(String node) {
        return List.copyOf(processes.values(Predicates.equal("node", node)));
    }

    /**
     * Calls {@code changed} with the application of every process that is added, removed, or
     * changes status or endpoint, anywhere in the cluster (metrics-only updates are skipped).
     * Returns the registration, for {@link #removeListener}.
     */
    public java.util.UUID onProcessChange(java.util.function.Consumer<String> changed) {
        return processes.addEntryListener(new ProcessChanges(changed), true);
    }

    public void removeListener(java.util.UUID registration) {
        processes.removeEntryListener(registration);
    }

    private record ProcessChanges(java.util.function.Consumer<String> changed) implements
            com.hazelcast.map.listener.EntryAddedListener<String, ProcessRecord>,
            com.hazelcast.map.listener.EntryUpdatedListener<String, ProcessRecord>,
            com.hazelcast.map.listener.EntryRemovedListener<String, ProcessRecord> {
        @Override
        public void entryAdded(com.hazelcast.core.EntryEvent<String, ProcessRecord> e) {
            changed.accept(applicationOf(e.getKey()));
        }

        @Override
        public void entryUpdated(com.hazelcast.core.EntryEvent<String, ProcessRecord> e) {
            ProcessRecord before = e.getOldValue();
            ProcessRecord after = e.getValue();
            if (before == null || after == null || before.status() != after.status()
                    || !java.util.Objects.equals(before.endpoint(), after.endpoint())) {
                changed.accept(applicationOf(e.getKey()));
            }
        }

        @Override
        public void entryRemoved(com.hazelcast.core.EntryEvent<String, ProcessRecord> e) {
            changed.accept(applicationOf(e.getKey()));
        }

        private static String applicationOf(String key) {
            return key.substring(0, key.indexOf('/'));
        }
    }

    /** False when a process of that id exists. */
    public boolean createProcess(ProcessRecord p) {
        return processes.putIfAbsent(p.key(), p) == null;
    }

    /**
     * Atomically replaces a process record with {@code change(current)}; {@code change} may return the
     * current record to leave it, or null to remove it. Returns the new record, or empty when the
     * process does not exist.
     *
     * <p>A compare-and-set: the record is read, changed and written only if no other update came in
     * between (two registry operations instead of a lock's four); after {@value #CAS_ATTEMPTS}
     * collisions, the update runs under the process's lock. So {@code change} may be called more than
     * once: it must not have effects other than on variables that each call sets afresh.
     */
    public Optional<ProcessRecord> update(String application, String id, Function<ProcessRecord, ProcessRecord> change) {
        return update(application, id, null, change);
    }

    /**
     * As {@link #update(String, String, Function)}, taking {@code lastRead} (the record as the caller
     * has just read it, or null) for the first attempt's current record instead of reading it: one
     * registry operation fewer when nothing changed it since. A change that leaves {@code lastRead}
     * as it is is decided again on a fresh read, which the caller's may not be.
     */
    public Optional<ProcessRecord> update(String application, String id, ProcessRecord lastRead,
                                          Function<ProcessRecord, ProcessRecord> change) {
        String key = ProcessRecord.key(application, id);
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            ProcessRecord current = attempt == 0 && lastRead != null ? lastRead : processes.get(key);
            if (current == null) {
                return Optional.empty();
            }
            ProcessRecord next = change.apply(current);
            if (next == current) {
                if (current == lastRead && attempt == 0) {
                    continue; // nothing written checks it against the stored record: read that
                }
                return Optional.of(current);
            }
            // Conditional on the value read (a lock another node holds makes these wait for it).
            if (next == null ? processes.remove(key, current) : processes.replace(key, current, next)) {
                return Optional.ofNullable(next);
            }
        }
        return lockedUpdate(key, change);
    }

    private Optional<ProcessRecord> lockedUpdate(String key, Function<ProcessRecord, ProcessRecord> change) {
        lock(processes, key);
        try {
            ProcessRecord current = processes.get(key);
            if (current == null) {
                return Optional.empty();
            }
            ProcessRecord next = change.apply(current);
            if (next == null) {
                processes.delete(key);
            } else if (next != current) {
                processes.set(key, next);
            }
            return Optional.ofNullable(next);
        } finally {
            processes.unlock(key);
        }
    }

    // ---- inline copies of small snapshots

    /**
     * A process's copy of its last small snapshot (the process module's {@code InlineSnapshot}), for
     * its next swap-in: kept apart from the process record, which the API shows and every heartbeat
     * rewrites.
     *
     * @param manifestKey the snapshot it copies
     * @param bytes       the copy
     */
    public record InlineCopy(String manifestKey, byte[] bytes) implements java.io.Serializable {
    }

    /** Keeps {@code copy} as the process's inline snapshot copy, or forgets the one it had (null). */
    public void keepInlineSnapshot(String application, String id, InlineCopy copy) {
        String key = ProcessRecord.key(application, id);
        if (copy == null) {
            inlineSnapshots.delete(key);
        } else {
            inlineSnapshots.set(key, copy);
        }
    }

    /**
     * Starts reading the process's inline snapshot copy; completes with null when it has none. The
     * caller checks that the copy is of the snapshot it restores ({@link InlineCopy#manifestKey}).
     */
    public CompletionStage<InlineCopy> inlineSnapshot(String application, String id) {
        return inlineSnapshots.getAsync(ProcessRecord.key(application, id));
    }

    private static void lock(IMap<String, ?> map, String key) {
        try {
            if (!map.tryLock(key, LOCK_WAIT_SECONDS, TimeUnit.SECONDS)) {
                // Others hold it that long (a burst of creates and swap-ins): the caller may retry (429).
                throw new io.praas.controlplane.ControlPlaneException(io.praas.controlplane.ControlPlaneException.Code.OVERLOADED,
                        "'" + key + "' is busy: its lock was not free within " + LOCK_WAIT_SECONDS + " s; retry later");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while locking " + key, e);
        }
    }
}
