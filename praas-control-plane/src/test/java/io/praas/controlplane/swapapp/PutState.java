package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Input {@code key=value}: stores the string under key in process state; returns "ok". */
public final class PutState implements Function<String, String> {
    @Override
    public String handle(String input, Context context) {
        int eq = input.indexOf('=');
        context.processState().put(input.substring(0, eq), input.substring(eq + 1));
        return "ok";
    }
}
