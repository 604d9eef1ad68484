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
 * @param transitions every status it went through, with the time
 */
public record ProcessRecord(String application, String id, ProcessStatus status, Resources resources,
                            Endpoint endpoint, BackendHandle handle, String node, String failure,
                            Metrics metrics, List<Transition> transitions) implements Serializable {

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

    public ProcessRecord {
        transitions = List.copyOf(transitions);
    }

    public static ProcessRecord allocating(String application, String id, Resources resources, String node, Instant now) {
        return new ProcessRecord(application, id, ProcessStatus.ALLOCATING, resources, null, null, node, null,
                Metrics.none(now), List.of(new Transition(ProcessStatus.ALLOCATING, now)));
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
        Endpoint ep = next == ProcessStatus.ACTIVE ? endpoint : null;
        return new ProcessRecord(application, id, next, resources, ep, handle, node, failure, metrics, t);
    }

    public ProcessRecord failed(String why, Instant now) {
        return withStatus(ProcessStatus.FAILED, now).withFailure(why);
    }

    public ProcessRecord withFailure(String why) {
        return new ProcessRecord(application, id, status, resources, endpoint, handle, node, why, metrics, transitions);
    }

    public ProcessRecord active(Endpoint ep, String byNode, Instant now) {
        ProcessRecord r = status == ProcessStatus.ACTIVE ? this : withStatus(ProcessStatus.ACTIVE, now);
        return new ProcessRecord(application, id, r.status, resources, ep, handle, byNode, null,
                new Metrics(metrics.invocations(), metrics.activeSessions(), metrics.stateBytes(),
                        metrics.lastActivity(), metrics.inFlight(), now), r.transitions);
    }

    public ProcessRecord withHandle(BackendHandle h) {
        return new ProcessRecord(application, id, status, resources, endpoint, h, node, failure, metrics, transitions);
    }

    public ProcessRecord withMetrics(Metrics m) {
        return new ProcessRecord(application, id, status, resources, endpoint, handle, node, failure, m, transitions);
    }
}
