package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * Answers "fine"; in a process whose id starts with {@code doomed-} it cannot even be created, so
 * the process fails to load its functions and exits at once (a start that fails fast).
 */
public final class Fragile implements Function<String, String> {
    public Fragile() {
        String id = System.getenv("PRAAS_PROCESS_ID");
        if (id != null && id.startsWith("doomed-")) {
            throw new IllegalStateException("process " + id + " is doomed");
        }
    }

    @Override
    public String handle(String ignored, Context context) {
        return "fine";
    }
}
