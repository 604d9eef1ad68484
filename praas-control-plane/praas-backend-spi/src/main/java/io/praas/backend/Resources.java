package io.praas.backend;

import java.io.Serializable;

/**
 * What a process may use: processors and memory.
 *
 * <pre>{@code
 * Resources r = new Resources(1.0, 2048);
 * }</pre>
 *
 * @param vcpu      processors (fractions allowed; backends round as they must)
 * @param memoryMiB memory in MiB
 */
public record Resources(double vcpu, int memoryMiB) implements Serializable {
    public static final double MIN_VCPU = 0.25;
    public static final int MIN_MEMORY_MIB = 128;

    public Resources {
        if (!(vcpu >= MIN_VCPU) || Double.isInfinite(vcpu)) {
            throw new IllegalArgumentException("vcpu must be at least " + MIN_VCPU + ": " + vcpu);
        }
        if (memoryMiB < MIN_MEMORY_MIB) {
            throw new IllegalArgumentException("memoryMiB must be at least " + MIN_MEMORY_MIB + ": " + memoryMiB);
        }
    }

    /** True when these resources fit within {@code caps}. */
    public boolean fitsIn(Resources caps) {
        return vcpu <= caps.vcpu && memoryMiB <= caps.memoryMiB;
    }
}
