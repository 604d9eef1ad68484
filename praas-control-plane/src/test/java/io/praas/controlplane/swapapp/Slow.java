package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * Input {@code millis:key=value}: sleeps, then stores the string under key in process state and
 * returns "done": an invocation still running when a swap-out begins.
 */
public final class Slow implements Function<String, String> {
    @Override
    public String handle(String input, Context context) throws InterruptedException {
        int colon = input.indexOf(':');
        Thread.sleep(Long.parseLong(input.substring(0, colon)));
        String write = input.substring(colon + 1);
        int eq = write.indexOf('=');
        context.processState().put(write.substring(0, eq), write.substring(eq + 1));
        return "done";
    }
}
