package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/** Input {@code to|key|bytes}: sends that many deterministic bytes; returns their SHA-256. */
public final class SendLarge implements Function<String, String> {
    @Override
    public String handle(String input, Context ctx) throws Exception {
        String[] f = input.split("\\|", -1);
        byte[] data = Msg.payload(Integer.parseInt(f[2]), 42);
        Msg.await(ctx.send(f[0], f[1], data));
        return Msg.sha256(data);
    }
}
