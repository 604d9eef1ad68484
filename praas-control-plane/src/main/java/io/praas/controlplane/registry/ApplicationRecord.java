package io.praas.controlplane.registry;

import io.praas.backend.Resources;

import java.io.Serializable;
import java.time.Instant;

/**
 * An application as the registry holds it.
 *
 * @param name      its name
 * @param resources default resources of its processes
 * @param limits    its limits
 * @param swap      its idle/swap policy
 * @param durability what survives a process crash: {@code memory} (nothing since the last swap) or
 *                  {@code journal} (every acknowledged change; the process restarts from its journal)
 * @param code      its uploaded jar, or null before the first upload
 * @param secret    the secret that signs its data-plane tokens (never shown by the API)
 * @param createdAt when it was created
 */
public record ApplicationRecord(String name, Resources resources, Limits limits, SwapPolicy swap, Durability durability,
                                CodeInfo code, String secret, Instant createdAt) implements Serializable {

    /** What survives a process crash. */
    public enum Durability {
        /** State lives in memory; a crashed process loses what changed since its last swap. */
        MEMORY,
        /** Every change is journaled before it is acknowledged; a crashed process restarts from its journal. */
        JOURNAL
    }

    /** Limits of an application. */
    public record Limits(int maxProcesses, int maxConcurrencyPerProcess, int maxSessionsPerProcess,
                         int stateLimitMiB) implements Serializable {
        public static final Limits DEFAULT = new Limits(4, 64, 10_000, 256);

        public Limits {
            if (maxProcesses < 1 || maxConcurrencyPerProcess < 1 || maxSessionsPerProcess < 1 || stateLimitMiB < 1) {
                throw new IllegalArgumentException("limits must be at least 1");
            }
        }
    }

    /** When an idle process is swapped out: after {@code idleSeconds} without invocations (0 = never). */
    public record SwapPolicy(long idleSeconds) implements Serializable {
        public static final SwapPolicy NEVER = new SwapPolicy(0);
        /** Longest idle time a policy takes: ten years, far below what the clocks' arithmetic holds. */
        public static final long MAX_IDLE_SECONDS = 10L * 366 * 24 * 3600;

        public SwapPolicy {
            if (idleSeconds < 0 || idleSeconds > MAX_IDLE_SECONDS) {
                throw new IllegalArgumentException("swap idleSeconds must be between 0 and " + MAX_IDLE_SECONDS);
            }
        }
    }

    /** The application's jar in object storage. */
    public record CodeInfo(String objectKey, String sha256, long sizeBytes, Instant uploadedAt) implements Serializable {
    }

    public ApplicationRecord withCode(CodeInfo newCode) {
        return new ApplicationRecord(name, resources, limits, swap, durability, newCode, secret, createdAt);
    }
}
