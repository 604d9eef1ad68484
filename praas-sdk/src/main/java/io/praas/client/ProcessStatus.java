package io.praas.client;

/**
 * Where a process is in its lifecycle: ALLOCATING → ACTIVE → SWAPPING_OUT → SWAPPED_OUT →
 * SWAPPING_IN → ACTIVE …; STOPPED, FAILED, DELETED.
 *
 * <pre>{@code
 * List<ProcessInfo> active = praas.listProcesses("shop", ProcessStatus.ACTIVE);
 * }</pre>
 */
public enum ProcessStatus {
    ALLOCATING, ACTIVE, SWAPPING_OUT, SWAPPED_OUT, SWAPPING_IN, STOPPED, FAILED, DELETED,
    /** A status this SDK does not know (the control plane is newer); never sent to the server. */
    UNKNOWN;

    /** The status named {@code name} (any case), or {@link #UNKNOWN}. */
    public static ProcessStatus parse(String name) {
        if (name == null) {
            return UNKNOWN;
        }
        try {
            return valueOf(name.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
