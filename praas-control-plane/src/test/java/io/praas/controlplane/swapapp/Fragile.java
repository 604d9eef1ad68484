package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * Answers "fine"; in a process whose id starts with {@code doomed-}, or while a file
 * {@code praas-doomed-<process id>} is in the temporary directory, it cannot even be created, so
 * the process fails to load its functions and exits at once (a start that fails fast).
 */
public final class Fragile implements Function<String, String> {
    public Fragile() {
        String id = System.getenv("PRAAS_PROCESS_ID");
        if (id != null && (id.startsWith("doomed-") || java.nio.file.Files.exists(doomedMarker(id)))) {
            throw new IllegalStateException("process " + id + " is doomed");
        }
    }

    /** The file whose presence dooms process {@code id}'s next start. */
    public static java.nio.file.Path doomedMarker(String id) {
        return java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "praas-doomed-" + id);
    }

    @Override
    public String handle(String ignored, Context context) {
        return "fine";
    }
}
