package io.praas.client;

/**
 * Processors and memory of a process, as the control plane's REST API shows and takes them. In a
 * request, a zero field is left out, so the control plane fills in its default.
 *
 * <pre>{@code
 * ApplicationSpec spec = ApplicationSpec.named("shop").withResources(new Resources(1.0, 512));
 * }</pre>
 *
 * @param vcpu      processors (fractions allowed, at least 0.25 on the server; 0 = the default)
 * @param memoryMiB memory in MiB (at least 128 on the server; 0 = the default)
 */
public record Resources(double vcpu, int memoryMiB) {

    public Resources {
        if (!(vcpu >= 0) || Double.isInfinite(vcpu)) {
            throw new IllegalArgumentException("vcpu must be a non-negative number: " + vcpu);
        }
        if (memoryMiB < 0) {
            throw new IllegalArgumentException("memoryMiB must not be negative: " + memoryMiB);
        }
    }
}
