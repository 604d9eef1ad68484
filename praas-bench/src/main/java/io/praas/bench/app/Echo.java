package io.praas.bench.app;

import io.praas.function.Context;
import io.praas.function.Function;

/** Returns its input unchanged: the first invocation of the cold-start benchmark. */
public final class Echo implements Function<byte[], byte[]> {
    @Override
    public byte[] handle(byte[] input, Context context) {
        return input;
    }
}
