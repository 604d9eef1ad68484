package io.praas.client;

/**
 * What {@link Praas#createProcess(String, ProcessSpec)} creates: an optional id and resources.
 *
 * <pre>{@code
 * ProcessInfo p = praas.createProcess("shop", ProcessSpec.named("cart-1").withResources(new Resources(2, 1024)));
 * }</pre>
 *
 * @param name      the process id, or null for a generated one
 * @param resources its resources, or null for the application's defaults
 */
public record ProcessSpec(String name, Resources resources) {
    /** A process with a generated id and the application's resources. */
    public static final ProcessSpec DEFAULT = new ProcessSpec(null, null);

    public static ProcessSpec named(String name) {
        return new ProcessSpec(name, null);
    }

    public ProcessSpec withResources(Resources r) {
        return new ProcessSpec(name, r);
    }
}
