package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * Input {@code key:millis}: sleeps, and when interrupted records "interrupted" under {@code key} in
 * process state before giving up, so a test can see that a timed-out invocation was interrupted.
 */
public final class Interruptible implements Function<String, String> {
    @Override
    public String handle(String input, Context context) throws InterruptedException {
        int colon = input.lastIndexOf(':');
        String key = input.substring(0, colon);
        try {
            Thread.sleep(Long.parseLong(input.substring(colon + 1)));
        } catch (InterruptedException e) {
            context.processState().put(key, "interrupted");
            throw e;
        }
        context.processState().put(key, "finished");
        return "done";
    }
}
