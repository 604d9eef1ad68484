package io.praas.process.function;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.Locale;

/** A function that FunctionRegistryTest packs into an application jar built at test time. */
public final class Shout implements Function<String, String> {
    @Override
    public String handle(String input, Context context) {
        return input.toUpperCase(Locale.ROOT) + "!";
    }
}
