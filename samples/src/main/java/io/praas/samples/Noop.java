package io.praas.samples;

import io.praas.function.Context;
import io.praas.function.Function;

/** Does nothing and returns nothing: the throughput benchmark's function. */
public final class Noop implements Function<byte[], byte[]> {
    private static final byte[] EMPTY = new byte[0];

    @Override
    public byte[] handle(byte[] input, Context context) {
        return EMPTY;
    }
}
