package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * Input a variable's name: its value in the process's environment as user code reads it
 * ({@code System.getenv}), or {@code <unset>}.
 */
public final class Env implements Function<String, String> {
    @Override
    public String handle(String name, Context context) {
        String value = System.getenv(name);
        return value == null ? "<unset>" : value;
    }
}
