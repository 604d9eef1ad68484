package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Input: a key of process state; returns its string value, or "" when absent. */
public final class GetState implements Function<String, String> {
    @Override
    public String handle(String key, Context context) {
        return context.processState().get(key, String.class).orElse("");
    }
}
