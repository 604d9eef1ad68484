package io.praas.samples;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * A per-session counter: adds its input (a number, 1 when empty) to the session's count and
 * returns the new count. Each session counts on its own; the count survives reconnects.
 */
public final class Counter implements Function<String, Long> {
    @Override
    public Long handle(String input, Context context) {
        long add = input.isBlank() ? 1 : Long.parseLong(input.strip());
        return context.sessionState().compute("count", Long.class, n -> (n == null ? 0 : n) + add);
    }
}
