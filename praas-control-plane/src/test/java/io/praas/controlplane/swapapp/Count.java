package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Adds one to the session's counter and returns the new count: a session with state. */
public final class Count implements Function<String, String> {
    @Override
    public String handle(String ignored, Context context) {
        return Long.toString(context.sessionState().compute("count", Long.class, n -> n == null ? 1L : n + 1));
    }
}
