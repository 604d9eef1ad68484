package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Sleeps for the milliseconds given as input and returns "done": a function that holds a worker. */
public final class Sleep implements Function<String, String> {
    @Override
    public String handle(String millis, Context context) throws InterruptedException {
        Thread.sleep(Long.parseLong(millis.strip()));
        return "done";
    }
}
