package io.praas.client;

import java.time.Instant;

/**
 * An application as the control plane shows it: its name, the default resources of its
 * processes, its limits, its swap policy and its uploaded code (null before the first upload).
 *
 * <pre>{@code
 * Application app = praas.getApplication("shop");
 * System.out.println(app.name() + " runs " + (app.code() == null ? "no code yet" : app.code().sha256()));
 * }</pre>
 *
 * @param name      its name
 * @param resources the default resources of its processes
 * @param limits    its limits
 * @param swap      when its idle processes are swapped out
 * @param code      its uploaded jar, or null before the first upload
 * @param createdAt when it was created
 */
public record Application(String name, Resources resources, Limits limits, SwapPolicy swap, Code code,
                          Instant createdAt) {

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
