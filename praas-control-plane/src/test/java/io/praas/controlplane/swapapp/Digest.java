package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Input {@code prefix:count}: the SHA-256 of the values under {@code prefix-0 ...} in order, and the
 * bytes they hold, as {@code <hex> <bytes>}; a missing key gives {@code missing <key>}.
 */
public final class Digest implements Function<String, String> {
    @Override
    public String handle(String input, Context context) throws Exception {
        String[] f = input.split(":");
        int count = Integer.parseInt(f[1]);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            String key = f[0] + "-" + i;
            byte[] value = context.processState().getBytes(key);
            if (value == null) {
                return "missing " + key;
            }
            sha.update(value);
            bytes += value.length;
        }
        return HexFormat.of().formatHex(sha.digest()) + " " + bytes;
    }
}
