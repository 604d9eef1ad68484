package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.SplittableRandom;

/**
 * Input {@code prefix:count:bytes}: stores {@code count} values of {@code bytes} pseudo-random bytes
 * under {@code prefix-0 ...} in process state (seeded by the key, so {@link Digest} can be compared
 * before and after a swap); returns "ok".
 */
public final class Fill implements Function<String, String> {
    @Override
    public String handle(String input, Context context) {
        String[] f = input.split(":");
        int count = Integer.parseInt(f[1]);
        int size = Integer.parseInt(f[2]);
        for (int i = 0; i < count; i++) {
            String key = f[0] + "-" + i;
            byte[] value = new byte[size];
            SplittableRandom random = new SplittableRandom(key.hashCode());
            for (int j = 0; j < size; j += 8) {
                long r = random.nextLong();
                for (int k = 0; k < 8 && j + k < size; k++) {
                    value[j + k] = (byte) (r >>> (8 * k));
                }
            }
            context.processState().putBytes(key, value);
        }
        return "ok";
    }
}
