package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Always throws IllegalStateException("boom"). */
public final class Fail implements Function<byte[], byte[]> {
    @Override
    public byte[] handle(byte[] input, Context context) {
        throw new IllegalStateException("boom");
    }
}
