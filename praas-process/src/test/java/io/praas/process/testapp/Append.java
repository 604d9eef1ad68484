package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.ArrayList;

/**
 * Appends its input to the list "appended" in session state and returns the list's new size.
 *
 * <p>The read and the write are deliberately two steps with a yield between them: if two
 * invocations of one session ever overlapped, an element would be lost, which the ordering tests
 * would see.
 */
public final class Append implements Function<String, Integer> {
    static final String KEY = "appended";

    @Override
    @SuppressWarnings("unchecked")
    public Integer handle(String input, Context context) {
        ArrayList<String> list = context.sessionState().get(KEY, ArrayList.class).orElseGet(ArrayList::new);
        Thread.yield();
        list.add(input);
        context.sessionState().put(KEY, list);
        return list.size();
    }
}
