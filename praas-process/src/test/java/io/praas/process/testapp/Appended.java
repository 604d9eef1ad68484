package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.ArrayList;
import java.util.List;

/** Returns the session's list written by {@link Append}, joined with ","; "" when there is none. */
public final class Appended implements Function<byte[], String> {
    @Override
    @SuppressWarnings("unchecked")
    public String handle(byte[] input, Context context) {
        List<String> list = context.sessionState().get(Append.KEY, ArrayList.class).orElseGet(ArrayList::new);
        return String.join(",", list);
    }
}
