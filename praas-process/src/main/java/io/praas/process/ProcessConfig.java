package io.praas.process;

import io.praas.protocol.FrameCodec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one process, validated once when built. Loaded by {@link Cli} from defaults &lt;
 * argument file &lt; environment ({@code PRAAS_*}) &lt; flags.
 *
 * @param application        the application this process runs
 * @param processId          its id, unique within the application
 * @param appJar             the application jar with the functions
 * @param host               data-plane bind address
 * @param port               data-plane port (0 = any free port)
 * @param dev                dev mode: an empty token is accepted
 * @param secret             the application's secret that signs data-plane tokens (may be empty in dev mode)
 * @param workers            worker threads that run functions
 * @param queueCapacity      invocations that may wait for a worker before OVERLOADED
 * @param maxFrameBytes      largest frame accepted (announced in WELCOME)
 * @param defaultTimeout     timeout of an INVOKE whose timeoutMs is 0
 * @param maxTimeout         upper bound of any invocation's timeout
 * @param sessionIdleTimeout idle time after which a session expires
 * @param maxSessions        sessions a process holds at most
 * @param stateLimitBytes    bytes of state (process plus all sessions) a process holds at most
 * @param drainTimeout       how long a stopping process lets in-flight invocations finish
 * @param maxNestingDepth    how deep functions may invoke functions of their own process
 */
public record ProcessConfig(
        String application,
        String processId,
        Path appJar,
        String host,
        int port,
        boolean dev,
        byte[] secret,
        int workers,
        int queueCapacity,
        int maxFrameBytes,
        Duration defaultTimeout,
        Duration maxTimeout,
        Duration sessionIdleTimeout,
        int maxSessions,
        long stateLimitBytes,
        Duration drainTimeout,
        int maxNestingDepth) {

    /** Longest application or process id, in characters. */
    public static final int MAX_NAME_LENGTH = 63;

    public ProcessConfig {
        Objects.requireNonNull(appJar, "appJar");
        Objects.requireNonNull(host, "host");
        secret = secret == null ? new byte[0] : secret;
        checkName("application", application);
        checkName("process id", processId);
        require(port >= 0 && port <= 65535, "port must be in 0..65535");
        require(dev || secret.length > 0, "an application secret is required unless --dev is given "
                + "(--secret-file or PRAAS_APP_SECRET)");
        require(workers >= 1, "workers must be at least 1");
        require(queueCapacity >= 0, "queue capacity must not be negative");
        require(maxFrameBytes >= 1024 && maxFrameBytes <= 1 << 30, "max frame bytes must be in 1 KiB..1 GiB");
        require(positive(defaultTimeout) && positive(maxTimeout) && defaultTimeout.compareTo(maxTimeout) <= 0,
                "timeouts must be positive and the default at most the maximum");
        require(maxTimeout.toMillis() <= 0xFFFF_FFFFL, "max timeout must fit in a u32 of milliseconds");
        require(positive(sessionIdleTimeout), "session idle timeout must be positive");
        require(maxSessions >= 1, "max sessions must be at least 1");
        require(stateLimitBytes >= 1, "state limit must be positive");
        require(drainTimeout != null && !drainTimeout.isNegative(), "drain timeout must not be negative");
        require(maxNestingDepth >= 1, "max nesting depth must be at least 1");
    }

    /** Defaults for everything but application, process id and jar (dev mode, any free port). */
    public static ProcessConfig defaults(String application, String processId, Path appJar) {
        return new ProcessConfig(application, processId, appJar, "127.0.0.1", 0, true, new byte[0],
                Runtime.getRuntime().availableProcessors(), 1024, FrameCodec.DEFAULT_MAX_FRAME_BYTES,
                Duration.ofSeconds(30), Duration.ofMinutes(15), Duration.ofMinutes(30), 10_000,
                256L * 1024 * 1024, Duration.ofSeconds(10), 8);
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    private static void checkName(String what, String name) {
        require(name != null && !name.isEmpty() && name.length() <= MAX_NAME_LENGTH
                        && name.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
                        || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'),
                what + " must be 1-" + MAX_NAME_LENGTH + " characters of letters, digits, '-', '_' and '.': " + name);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
