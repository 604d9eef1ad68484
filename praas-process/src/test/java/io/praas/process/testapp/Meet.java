package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * Input {@code key:n}: counts itself in under key in process state, then waits until n invocations
 * have counted in, and returns "met". It only returns when n invocations run at the same time;
 * otherwise it waits until its timeout interrupts it.
 */
public final class Meet implements Function<String, String> {
    @Override
    public String handle(String input, Context context) throws InterruptedException {
        int colon = input.lastIndexOf(':');
        String key = input.substring(0, colon);
        int n = Integer.parseInt(input.substring(colon + 1));
        context.processState().compute(key, Integer.class, c -> c == null ? 1 : c + 1);
        while (context.processState().get(key, Integer.class).orElse(0) < n) {
            Thread.sleep(5);
        }
        return "met";
    }
}
