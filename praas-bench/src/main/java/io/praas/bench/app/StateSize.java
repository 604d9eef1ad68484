package io.praas.bench.app;

import io.praas.function.Context;
import io.praas.function.Function;

/** Returns the size of process state in bytes (to check that a swap-in restored all of it). */
public final class StateSize implements Function<byte[], String> {
    @Override
    public String handle(byte[] input, Context context) {
        return Long.toString(context.processState().sizeBytes());
    }
}
