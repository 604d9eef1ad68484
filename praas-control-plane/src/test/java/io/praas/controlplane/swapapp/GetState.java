package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Input a key: the string stored under it in process state, or {@code <none>}. */
public final class GetState implements Function<String, String> {
    public static final String NONE = "<none>";

    @Override
    public String handle(String key, Context context) {
        return context.processState().get(key, String.class).orElse(NONE);
    }
}
