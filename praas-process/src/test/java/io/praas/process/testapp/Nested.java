package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Invokes "echo" of its own process with its input and waits for the answer. */
public final class Nested implements Function<byte[], byte[]> {
    @Override
    public byte[] handle(byte[] input, Context context) throws Exception {
        return context.invoke("echo", input).get();
    }
}
