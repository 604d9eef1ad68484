package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

import java.nio.charset.StandardCharsets;

/** Input {@code process|function|input}: invokes that function of that process; returns its output as text. */
public final class InvokeOther implements Function<String, String> {
    @Override
    public String handle(String input, Context ctx) throws Exception {
        String[] f = input.split("\\|", 3);
        return new String(Msg.await(ctx.invoke(f[0], f[1], Msg.utf8(f[2]))), StandardCharsets.UTF_8);
    }
}
