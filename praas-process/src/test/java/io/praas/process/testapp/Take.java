package io.praas.process.testapp;

import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.ReceivedMessage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Input {@code from|key|timeoutMs} ({@code *} for any sender): takes one mailbox message; returns {@code from|text}. */
public final class Take implements Function<String, String> {
    @Override
    public String handle(String input, Context ctx) throws Exception {
        String[] f = input.split("\\|", -1);
        ReceivedMessage m = ctx.receive(f[0], f[1], Duration.ofMillis(Long.parseLong(f[2]))).get();
        return m.from() + "|" + new String(m.data(), StandardCharsets.UTF_8);
    }
}
