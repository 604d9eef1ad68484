package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.ReceivedMessage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Input {@code from|key|timeoutMs} (from may be {@code *}, Context.ANY): takes one message;
 * returns {@code from|text} for up to 1000 bytes, else {@code from|length|sha256}.
 */
public final class Receive implements Function<String, String> {
    @Override
    public String handle(String input, Context ctx) throws Exception {
        String[] f = input.split("\\|", -1);
        ReceivedMessage m = Msg.await(ctx.receive(f[0], f[1], Duration.ofMillis(Long.parseLong(f[2]))));
        return m.data().length <= 1000
                ? m.from() + "|" + new String(m.data(), StandardCharsets.UTF_8)
                : m.from() + "|" + m.data().length + "|" + Msg.sha256(m.data());
    }
}
