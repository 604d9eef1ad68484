package io.praas.samples;

import io.praas.function.Context;
import io.praas.function.Function;

/** Returns its input unchanged: the smallest function, and the one the latency benchmark calls. */
public final class Echo implements Function<byte[], byte[]> {
    @Override
    public byte[] handle(byte[] input, Context context) {
        return input;
    }
}
