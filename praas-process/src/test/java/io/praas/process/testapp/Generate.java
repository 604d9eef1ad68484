package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.Arrays;

/** Returns as many bytes as its input says: an output of any size from a small request. */
public final class Generate implements Function<String, byte[]> {
    @Override
    public byte[] handle(String size, Context context) {
        byte[] out = new byte[Integer.parseInt(size.strip())];
        Arrays.fill(out, (byte) 'g');
        return out;
    }
}
