package io.praas.process.e2e;

import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.process.launch.LocalProcess;
import io.praas.process.testapp.TestAppJar;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Starting and stopping processes of the test application as separate OS processes, and connecting
 * SDK clients to them.
 *
 * <pre>{@code
 * LocalProcess p = TestProcesses.startDev("--workers", "1");
 * try (ProcessClient c = TestProcesses.connect(p)) { ... }
 * TestProcesses.stop(p);
 * }</pre>
 */
final class TestProcesses {
    /** Default request timeout of the tests' clients: long enough for a busy machine, short enough not to hang. */
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(15);

    private TestProcesses() {
    }

    /** A process in dev mode (empty tokens accepted) with {@code args} added. */
    static LocalProcess startDev(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.add("--dev");
        return start(LocalProcess.builder(TestAppJar.path()), all);
    }

    /** A process started by {@code builder} (env, JVM options) with {@code args}. */
    static LocalProcess start(LocalProcess.Builder builder, List<String> args) {
        List<String> all = new ArrayList<>(args);
        if (!all.contains("--drain-timeout")) {
            // Keeps @AfterAll quick when a test leaves an invocation running.
            all.addAll(List.of("--drain-timeout", "2s"));
        }
        // Test processes live for seconds: C1 only and the serial collector start them about a third faster.
        return builder.jvmOption("-XX:TieredStopAtLevel=1").jvmOption("-XX:+UseSerialGC")
                .arg(all.toArray(String[]::new)).start();
    }

    static ProcessClient connect(LocalProcess p) {
        return connect(p, "");
    }

    static ProcessClient connect(LocalProcess p, String token) {
        return ProcessClient.builder()
                .address("127.0.0.1", p.port())
                .token(token)
                .clientInfo("e2e-test")
                .timeout(CLIENT_TIMEOUT)
                .connectTimeout(Duration.ofSeconds(5))
                .connect();
    }

    /** Stops a process (SIGTERM, then SIGKILL if it does not exit), after printing its log for the test report. */
    static void stop(LocalProcess p) {
        if (p == null) {
            return;
        }
        long start = System.nanoTime();
        int exitCode = p.isAlive() ? p.stop(Duration.ofSeconds(15)) : p.process().exitValue();
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        String log = p.log();
        System.out.println("---- process " + p.pid() + " exited with " + exitCode + " (stop took " + tookMs
                + " ms); its log, last 4000 characters ----");
        System.out.println(log.length() > 4000 ? log.substring(log.length() - 4000) : log);
        p.close();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Polls {@code condition} every 20 ms until it holds; fails after {@code within}. */
    static void awaitTrue(String what, Duration within, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + within + ": " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what, e);
            }
        }
    }

    /** The PraasException a blocking call fails with (fails the test if it succeeds). */
    static PraasException failureOf(Runnable call) {
        PraasException e = catchThrowableOfType(PraasException.class, call::run);
        assertThat(e).as("the call fails with a PraasException").isNotNull();
        return e;
    }

    /** The PraasException a pending call fails with (fails the test if it succeeds or hangs). */
    static PraasException failureOf(CompletableFuture<?> call) {
        try {
            Object result = call.get(TestProcesses.CLIENT_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            throw new AssertionError("expected the call to fail, but it returned " + result);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).as("failure of the call").isInstanceOf(PraasException.class);
            return (PraasException) e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("the call neither failed nor returned", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
