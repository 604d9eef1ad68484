package io.praas.bench.app;

import io.praas.function.Context;
import io.praas.function.Function;

import java.util.SplittableRandom;

/**
 * Input {@code prefix:bytes}: puts {@code bytes} pseudo-random bytes into process state, in values
 * of at most 1 MiB under {@code prefix-0}, {@code prefix-1}, ... (seeded by the prefix, so random
 * data that no store can compress); returns the size of process state in bytes afterwards.
 */
public final class Fill implements Function<String, String> {
    /** The largest value written. */
    public static final int VALUE_BYTES = 1024 * 1024;

    @Override
    public String handle(String input, Context context) {
        int colon = input.lastIndexOf(':');
        String prefix = input.substring(0, colon);
        long bytes = Long.parseLong(input.substring(colon + 1).strip());
        SplittableRandom random = new SplittableRandom(prefix.hashCode());
        int i = 0;
        for (long left = bytes; left > 0; left -= VALUE_BYTES, i++) {
            byte[] value = new byte[(int) Math.min(VALUE_BYTES, left)];
            random.nextBytes(value);
            context.processState().putBytes(prefix + "-" + i, value);
        }
        return Long.toString(context.processState().sizeBytes());
    }
}
