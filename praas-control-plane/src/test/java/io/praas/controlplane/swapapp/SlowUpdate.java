package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * Input a number of milliseconds: updates {@code slow} in process state with a {@code compute}
 * whose update takes that long, then returns "updated": a state write still under way when a
 * swap-out's drain ends.
 */
public final class SlowUpdate implements Function<String, String> {
    @Override
    public String handle(String millis, Context context) {
        context.processState().compute("slow", String.class, v -> {
            try {
                Thread.sleep(Long.parseLong(millis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "updated";
        });
        return "updated";
    }
}
