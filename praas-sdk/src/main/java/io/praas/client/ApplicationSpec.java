package io.praas.client;

import java.util.Objects;

/**
 * What {@link Praas#createApplication(ApplicationSpec)} creates. Null parts (and zero fields of
 * them) are the control plane's defaults.
 *
 * <pre>{@code
 * Application app = praas.createApplication(ApplicationSpec.named("shop")
 *         .withResources(new Resources(1.0, 512))
 *         .withMaxProcesses(4)
 *         .withIdleSeconds(300)
 *         .withDurability(Application.Durability.JOURNAL));
 * }</pre>
 *
 * @param name      the application's name: lower-case letters, digits and '-', 1-63 characters
 * @param resources default resources of its processes, or null for the control plane's default
 * @param limits    its limits, or null for the defaults
 * @param swap       its swap policy, or null for never
 * @param durability what its crashed processes keep, or null for the default ({@code MEMORY})
 */
public record ApplicationSpec(String name, Resources resources, Application.Limits limits,
                              Application.SwapPolicy swap, Application.Durability durability) {

    public ApplicationSpec {
        Objects.requireNonNull(name, "name");
        if (durability == Application.Durability.UNKNOWN) {
            throw new IllegalArgumentException("UNKNOWN is no durability; use MEMORY, JOURNAL or null");
        }
    }

    /** A spec with every default. */
    public static ApplicationSpec named(String name) {
        return new ApplicationSpec(name, null, null, null, null);
    }

    public ApplicationSpec withResources(Resources r) {
        return new ApplicationSpec(name, r, limits, swap, durability);
    }

    public ApplicationSpec withLimits(Application.Limits l) {
        return new ApplicationSpec(name, resources, l, swap, durability);
    }

    /** Sets {@code maxProcesses}, keeping the other limits. */
    public ApplicationSpec withMaxProcesses(int maxProcesses) {
        Application.Limits base = limits == null ? Application.Limits.DEFAULTS : limits;
        return withLimits(base.withMaxProcesses(maxProcesses));
    }

    public ApplicationSpec withSwap(Application.SwapPolicy s) {
        return new ApplicationSpec(name, resources, limits, s, durability);
    }

    public ApplicationSpec withDurability(Application.Durability d) {
        return new ApplicationSpec(name, resources, limits, swap, d);
    }

    /** Swap processes out after {@code seconds} without invocations (0 = never). */
    public ApplicationSpec withIdleSeconds(long seconds) {
        return withSwap(new Application.SwapPolicy(seconds));
    }
}
