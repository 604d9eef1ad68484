package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.Peer;

import java.util.stream.Collectors;

/** Returns this process's world as sorted {@code id=STATUS} pairs joined by commas. */
public final class World implements Function<String, String> {
    @Override
    public String handle(String input, Context ctx) {
        return ctx.world().stream().map(p -> p.processId() + "=" + p.status()).sorted()
                .collect(Collectors.joining(","));
    }
}
