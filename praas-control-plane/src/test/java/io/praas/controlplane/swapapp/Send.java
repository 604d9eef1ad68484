package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

/**
 * Input {@code to|key|text[|copies]}: sends {@code text} (copy i suffixed {@code #i} when copies
 * is given) to process {@code to} under {@code key}, each send awaited; returns "sent N".
 */
public final class Send implements Function<String, String> {
    @Override
    public String handle(String input, Context ctx) throws Exception {
        String[] f = input.split("\\|", -1);
        if (f.length > 3) {
            int copies = Integer.parseInt(f[3]);
            for (int i = 0; i < copies; i++) {
                Msg.await(ctx.send(f[0], f[1], Msg.utf8(f[2] + "#" + i)));
            }
            return "sent " + copies;
        }
        Msg.await(ctx.send(f[0], f[1], Msg.utf8(f[2])));
        return "sent 1";
    }
}
