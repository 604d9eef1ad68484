package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.Arrays;

/** Input {@code key:bytes}: stores that many bytes under key in process state (0 deletes the key); returns "ok". */
public final class Fill implements Function<String, String> {
    @Override
    public String handle(String input, Context context) {
        int colon = input.lastIndexOf(':');
        String key = input.substring(0, colon);
        int size = Integer.parseInt(input.substring(colon + 1));
        if (size == 0) {
            context.processState().delete(key);
            return "ok";
        }
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) 'x');
        context.processState().putBytes(key, value);
        return "ok";
    }
}
