package io.praas.client;

import java.time.Instant;

/**
 * An application as the control plane shows it: its name, the default resources of its
 * processes, its limits, its swap policy, its durability and its uploaded code (null before the
 * first upload).
 *
 * <pre>{@code
 * Application app = praas.getApplication("shop");
 * System.out.println(app.name() + " runs " + (app.code() == null ? "no code yet" : app.code().sha256()));
 * }</pre>
 *
 * @param name      its name
 * @param resources the default resources of its processes
 * @param limits    its limits
 * @param swap       when its idle processes are swapped out
 * @param durability what a crashed process keeps
 * @param code       its uploaded jar, or null before the first upload
 * @param createdAt  when it was created
 */
public record Application(String name, Resources resources, Limits limits, SwapPolicy swap, Durability durability,
                          Code code, Instant createdAt) {

    /**
     * What a process of the application keeps when it crashes. {@code MEMORY} (the default): what
     * changed since its last swap is lost. {@code JOURNAL}: every state and session change is
     * journaled before it is acknowledged, and a process that exits unexpectedly restarts with the
     * same id from its last snapshot plus its journal.
     *
     * <pre>{@code
     * praas.createApplication(ApplicationSpec.named("ledger").withDurability(Application.Durability.JOURNAL));
     * }</pre>
     */
    public enum Durability {
        MEMORY, JOURNAL,
        /** A durability this SDK does not know (the control plane is newer); never sent to the server. */
        UNKNOWN;

        /** The name on the wire: "memory" or "journal". */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The durability named {@code name} (any case), or {@link #UNKNOWN}. */
        public static Durability parse(String name) {
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

    /**
     * Limits of an application. In a request, a zero field is left out, so the control plane fills
     * in its default.
     *
     * <pre>{@code
     * ApplicationSpec spec = ApplicationSpec.named("shop").withLimits(new Application.Limits(8, 0, 0, 512));
     * }</pre>
     *
     * @param maxProcesses             processes the control plane allocates at most
     * @param maxConcurrencyPerProcess invocations routed to one process at once before another is used
     * @param maxSessionsPerProcess    sessions one process hosts at most
     * @param stateLimitMiB            state one process holds at most
     */
    public record Limits(int maxProcesses, int maxConcurrencyPerProcess, int maxSessionsPerProcess,
                         int stateLimitMiB) {
        /** All defaults of the control plane. */
        public static final Limits DEFAULTS = new Limits(0, 0, 0, 0);

        public Limits {
            if (maxProcesses < 0 || maxConcurrencyPerProcess < 0 || maxSessionsPerProcess < 0 || stateLimitMiB < 0) {
                throw new IllegalArgumentException("limits must not be negative");
            }
        }

        public Limits withMaxProcesses(int n) {
            return new Limits(n, maxConcurrencyPerProcess, maxSessionsPerProcess, stateLimitMiB);
        }
    }

    /**
     * When an idle process is swapped out to object storage.
     *
     * <pre>{@code
     * ApplicationSpec spec = ApplicationSpec.named("shop").withSwap(new Application.SwapPolicy(300));
     * }</pre>
     *
     * @param idleSeconds swap out after this long without invocations; 0 = never
     */
    public record SwapPolicy(long idleSeconds) {
        public SwapPolicy {
            if (idleSeconds < 0) {
                throw new IllegalArgumentException("idleSeconds must not be negative: " + idleSeconds);
            }
        }
    }

    /**
     * The application's jar as stored by the control plane.
     *
     * <pre>{@code
     * Application.Code code = praas.uploadCode("shop", Path.of("shop.jar")).code();
     * }</pre>
     *
     * @param sha256     hex SHA-256 of the jar
     * @param sizeBytes  its size
     * @param uploadedAt when it was uploaded
     */
    public record Code(String sha256, long sizeBytes, Instant uploadedAt) {
    }
}
