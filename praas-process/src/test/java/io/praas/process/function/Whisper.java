package io.praas.process.function;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.Locale;

/** A function on the runtime's side of the class path: no application jar lists it. */
public final class Whisper implements Function<String, String> {
    @Override
    public String handle(String input, Context context) {
        return input.toLowerCase(Locale.ROOT);
    }
}
