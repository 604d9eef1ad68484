package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Returns its input unchanged. */
public final class Echo implements Function<byte[], byte[]> {
    @Override
    public byte[] handle(byte[] input, Context context) {
        return input;
    }
}
