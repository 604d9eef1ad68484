package io.praas.controlplane.registry;

import io.praas.backend.BackendHandle;
import io.praas.backend.Resources;

import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A process as the registry holds it. Immutable: every change makes a new record, written
 * atomically by {@link Registry#update}.
 *
 * @param application its application
 * @param id          its id, unique within the application
 * @param status      where it is in its lifecycle
 * @param resources   what it may use
 * @param endpoint    its data-plane address once ACTIVE, else null
 * @param handle      the backend's reference to it, once started
 * @param node        the control-plane node that manages it
 * @param failure     why it FAILED, else null
 * @param metrics     its last heartbeat's metrics
 * @param transitions the statuses it went through, with the time: the first (its creation) and the
 *                    latest, at most {@link #MAX_TRANSITIONS} in all
 */
public record ProcessRecord(String application, String id, ProcessStatus status, Resources resources,
                            Endpoint endpoint, BackendHandle handle, String node, String failure,
                            Metrics metrics, List<Transition> transitions, Snapshot snapshot) implements Serializable {

    /**
     * The last committed swap snapshot.
     *
     * @param generation    its generation (1, 2, ...)
     * @param manifestKey   where its manifest is in object storage
     * @param snapshotBytes bytes of the snapshot stream
     * @param stateBytes    bytes of state the process held
     * @param durationMs    how long the swap-out took
     * @param at            when it was committed
     */
    public record Snapshot(long generation, String manifestKey, long snapshotBytes, long stateBytes, long durationMs,
                           Instant at) implements Serializable {
    }

    /** A data-plane address. */
    public record Endpoint(String host, int port) implements Serializable {
    }

    /** A status and when the process entered it. */
    public record Transition(ProcessStatus status, Instant at) implements Serializable {
    }

    /** A process's heartbeat metrics. */
    public record Metrics(long invocations, long activeSessions, long stateBytes, Instant lastActivity,
                          long inFlight, Instant heartbeatAt) implements Serializable {
        public static Metrics none(Instant now) {
            return new Metrics(0, 0, 0, now, 0, now);
        }
    }

    /**
     * Transitions a record keeps: its first and the latest ones. A process that swaps out and in
     * every few minutes for months would otherwise carry thousands, and every heartbeat rewrites
     * the record in the registry.
     */
    public static final int MAX_TRANSITIONS = 64;

    public ProcessRecord {
        transitions = List.copyOf(transitions);
    }

    /** Whether older transitions may have been dropped ({@link #MAX_TRANSITIONS}). */
    public boolean transitionsTruncated() {
        return transitions.size() >= MAX_TRANSITIONS;
    }

    /** The latest transition: into the status the process is in now. */
    public Transition latest() {
        return transitions.get(transitions.size() - 1);
    }

    /** When the process was created (the first transition, which a record always keeps). */
    public Instant created() {
        return transitions.get(0).at();
    }

    public static ProcessRecord allocating(String application, String id, Resources resources, String node, Instant now) {
        return new ProcessRecord(application, id, ProcessStatus.ALLOCATING, resources, null, null, node, null,
                Metrics.none(now), List.of(new Transition(ProcessStatus.ALLOCATING, now)), null);
    }

    /** The registry key of a process. */
    public static String key(String application, String id) {
        return application + "/" + id;
    }

    public String key() {
        return key(application, id);
    }

    public ProcessRecord withStatus(ProcessStatus next, Instant now) {
        List<Transition> t = new ArrayList<>(transitions);
        t.add(new Transition(next, now));
        if (t.size() > MAX_TRANSITIONS) {
            t.subList(1, t.size() - MAX_TRANSITIONS + 1).clear(); // the oldest after the first
        }
        // The endpoint stays while the process still runs (ACTIVE, draining for a swap-out).
        Endpoint ep = next == ProcessStatus.ACTIVE || next == ProcessStatus.SWAPPING_OUT ? endpoint : null;
        return new ProcessRecord(application, id, next, resources, ep, handle, node, failure, metrics, t, snapshot);
    }

    public ProcessRecord failed(String why, Instant now) {
        return withStatus(ProcessStatus.FAILED, now).withFailure(why);
    }

    public ProcessRecord withFailure(String why) {
        return new ProcessRecord(application, id, status, resources, endpoint, handle, node, why, metrics, transitions,
                snapshot);
    }

    public ProcessRecord active(Endpoint ep, String byNode, Instant now) {
        ProcessRecord r = status == ProcessStatus.ACTIVE ? this : withStatus(ProcessStatus.ACTIVE, now);
        return new ProcessRecord(application, id, r.status, resources, ep, handle, byNode, null,
                new Metrics(metrics.invocations(), metrics.activeSessions(), metrics.stateBytes(),
                        now, metrics.inFlight(), now), r.transitions, snapshot);
    }

    public ProcessRecord withHandle(BackendHandle h) {
        return new ProcessRecord(application, id, status, resources, endpoint, h, node, failure, metrics, transitions,
                snapshot);
    }

    public ProcessRecord withMetrics(Metrics m) {
        return new ProcessRecord(application, id, status, resources, endpoint, handle, node, failure, m, transitions,
                snapshot);
    }

    /** As it is, its heartbeat clock started again at {@code now} (it serves again after a failed swap-out). */
    public ProcessRecord withHeartbeatAt(Instant now) {
        return withMetrics(new Metrics(metrics.invocations(), metrics.activeSessions(), metrics.stateBytes(),
                metrics.lastActivity(), metrics.inFlight(), now));
    }

    public ProcessRecord withSnapshot(Snapshot s) {
        return new ProcessRecord(application, id, status, resources, endpoint, handle, node, failure, metrics,
                transitions, s);
    }

    /** Moves the record to {@code byNode}, the node that now manages the process (it swaps in there). */
    public ProcessRecord managedBy(String byNode) {
        return new ProcessRecord(application, id, status, resources, endpoint, handle, byNode, failure, metrics,
                transitions, snapshot);
    }
}
