package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Input a number of milliseconds: for that long, stores 1, 2, 3, ... under {@code tick} in process
 * state, one every 5 ms, and logs each attempt to {@link #log} ({@code trying n}, then
 * {@code wrote n} or {@code refused n <message>}, which ends it): an invocation that outlasts a
 * swap-out's drain and keeps writing, whose every write's fate the test can read back even after
 * its process has gone.
 */
public final class Ticker implements Function<String, String> {
    /** Where the ticker of process {@code id} logs its writes. */
    public static Path log(String id) {
        return Path.of(System.getProperty("java.io.tmpdir"), "praas-ticks-" + id);
    }

    @Override
    public String handle(String millis, Context context) throws IOException, InterruptedException {
        Path log = log(System.getenv("PRAAS_PROCESS_ID"));
        long end = System.nanoTime() + Long.parseLong(millis) * 1_000_000L;
        for (long n = 1; System.nanoTime() < end; n++) {
            append(log, "trying " + n);
            try {
                context.processState().put("tick", Long.toString(n));
            } catch (RuntimeException e) {
                append(log, "refused " + n + " " + e.getMessage());
                return "refused";
            }
            append(log, "wrote " + n);
            Thread.sleep(5);
        }
        return "done";
    }

    private static void append(Path log, String line) throws IOException {
        Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
