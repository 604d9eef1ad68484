package io.praas.client;

import java.time.Instant;
import java.util.List;

/**
 * A process as the control plane shows it. {@link #token()} is set only on the answer of
 * {@link Praas#createProcess}; {@link Praas#connect(ProcessInfo)} issues one when it is missing.
 *
 * <pre>{@code
 * ProcessInfo p = praas.createProcess("shop");
 * System.out.println(p.id() + " " + p.status() + " at " + p.endpoint().host() + ":" + p.endpoint().port());
 * try (ProcessClient client = praas.connect(p)) {
 *     client.invoke("echo", "hi".getBytes(UTF_8));
 * }
 * }</pre>
 *
 * @param application its application
 * @param id          its id, unique within the application
 * @param status      where it is in its lifecycle
 * @param resources   what it may use
 * @param endpoint    its data-plane address while ACTIVE, else null
 * @param token       a data-plane token for it (only from create), else null
 * @param backend     the backend that runs it (e.g. "local"), or null
 * @param node        the control-plane node that manages it
 * @param failure     why it FAILED, else null
 * @param snapshot    its last committed swap snapshot, or null
 * @param metrics     its last reported metrics, or null
 * @param transitions the statuses it went through, with the time: its first and the latest, 64 at
 *                    most (older ones are dropped)
 */
public record ProcessInfo(String application, String id, ProcessStatus status, Resources resources,
                          Endpoint endpoint, String token, String backend, String node, String failure,
                          Snapshot snapshot, Metrics metrics, List<Transition> transitions) {

    public ProcessInfo {
        transitions = transitions == null ? List.of() : List.copyOf(transitions);
    }

    /**
     * A data-plane address.
     *
     * <pre>{@code
     * ProcessInfo.Endpoint ep = p.endpoint();
     * ProcessClient c = ProcessClient.builder().address(ep.host(), ep.port()).token(p.token()).connect();
     * }</pre>
     */
    public record Endpoint(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /**
     * The last swap snapshot a process committed to object storage.
     *
     * <pre>{@code
     * ProcessInfo.Snapshot s = praas.swapOut("shop", "cart-1").snapshot();
     * System.out.println(s.snapshotBytes() + " bytes in " + s.durationMs() + " ms");
     * }</pre>
     *
     * @param generation    its generation (each swap-out writes the next)
     * @param manifestKey   the object key of its manifest
     * @param snapshotBytes bytes of the snapshot stream
     * @param stateBytes    bytes of state it holds
     * @param durationMs    how long writing it took
     * @param at            when it was committed
     */
    public record Snapshot(long generation, String manifestKey, long snapshotBytes, long stateBytes, long durationMs,
                           Instant at) {
    }

    /**
     * A process's metrics from its last heartbeat.
     *
     * <pre>{@code
     * long served = praas.getProcess("shop", "p-1").metrics().invocations();
     * }</pre>
     *
     * @param invocations    invocations it served
     * @param activeSessions sessions it hosts
     * @param stateBytes     bytes of state it holds
     * @param lastActivity   its last invocation, or null
     */
    public record Metrics(long invocations, long activeSessions, long stateBytes, Instant lastActivity) {
    }

    /**
     * A status and when the process entered it.
     *
     * <pre>{@code
     * p.transitions().forEach(t -> System.out.println(t.at() + " " + t.status()));
     * }</pre>
     */
    public record Transition(ProcessStatus status, Instant at) {
    }

    /** True when it is ACTIVE with a data-plane endpoint. */
    public boolean isActive() {
        return status == ProcessStatus.ACTIVE && endpoint != null;
    }
}
