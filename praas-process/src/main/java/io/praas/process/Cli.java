package io.praas.process;

import io.praas.auth.DataPlaneToken;
import io.praas.process.control.ControlChannel;
import io.praas.process.storage.S3Settings;
import io.praas.process.swap.CorruptSnapshotException;
import io.praas.process.swap.SwapSettings;
import io.praas.process.function.ApplicationCode;
import io.praas.process.function.FunctionLoadingException;
import io.praas.protocol.GoAwayReason;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * The process runtime's command line: {@code process} runs one process, {@code token} issues a
 * data-plane token. Every option can also come from the environment variable named in its help and
 * from an argument file ({@code @file}); flags win over the environment, which wins over defaults.
 */
@Command(name = "praas", mixinStandardHelpOptions = true, version = PraasProcess.VERSION,
        subcommands = {Cli.ProcessCommand.class, Cli.TokenCommand.class},
        description = "PraaS process runtime.")
public final class Cli implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Cli()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    static byte[] readSecret(Path file, String env) {
        try {
            if (file != null) {
                return Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new CommandLine.ParameterException(new CommandLine(new Cli()),
                    "cannot read the secret file " + file + ": " + e.getMessage());
        }
        return env == null ? new byte[0] : env.strip().getBytes(StandardCharsets.UTF_8);
    }

    /** Runs one process until SIGTERM / SIGINT. */
    @Command(name = "process", mixinStandardHelpOptions = true, description = "Run one PraaS process standalone.")
    static final class ProcessCommand implements Callable<Integer> {
        @Option(names = "--app-jar", defaultValue = "${env:PRAAS_APP_JAR}",
                description = "Application jar with the functions: a file, or s3://BUCKET/KEY in the object store, "
                        + "downloaded with the PRAAS_S3_* settings (env PRAAS_APP_JAR, else PRAAS_APP_CODE, which "
                        + "the control plane sets to the jar it stores).")
        String appJar;

        @Option(names = "--application", defaultValue = "${env:PRAAS_APPLICATION}",
                description = "Application name (env PRAAS_APPLICATION; default: the jar's file name without version and .jar).")
        String application;

        @Option(names = "--process-id", defaultValue = "${env:PRAAS_PROCESS_ID}",
                description = "Process id (env PRAAS_PROCESS_ID; default: a random one).")
        String processId;

        @Option(names = "--host", defaultValue = "${env:PRAAS_HOST:-127.0.0.1}",
                description = "Data-plane bind address (env PRAAS_HOST; default ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "${env:PRAAS_PORT:-8000}",
                description = "Data-plane port, 0 for any free one (env PRAAS_PORT; default ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--port-file", defaultValue = "${env:PRAAS_PORT_FILE}",
                description = "Write the bound port to this file once serving (env PRAAS_PORT_FILE).")
        Path portFile;

        @Option(names = "--dev", defaultValue = "${env:PRAAS_DEV:-false}",
                description = "Dev mode: accept clients without a token (env PRAAS_DEV).")
        boolean dev;

        @Option(names = "--secret-file", defaultValue = "${env:PRAAS_APP_SECRET_FILE}",
                description = "File holding the application secret that signs tokens (env PRAAS_APP_SECRET_FILE, "
                        + "or the secret itself in PRAAS_APP_SECRET).")
        Path secretFile;

        @Option(names = "--workers", defaultValue = "${env:PRAAS_WORKERS:-0}",
                description = "Worker threads (env PRAAS_WORKERS; default: available processors).")
        int workers;

        @Option(names = "--queue-capacity", defaultValue = "${env:PRAAS_QUEUE_CAPACITY:-1024}",
                description = "Invocations that may wait for a worker before OVERLOADED (default ${DEFAULT-VALUE}).")
        int queueCapacity;

        @Option(names = "--max-frame-bytes", defaultValue = "${env:PRAAS_MAX_FRAME_BYTES:-16777216}",
                description = "Largest frame accepted (default ${DEFAULT-VALUE}).")
        int maxFrameBytes;

        @Option(names = "--default-timeout", defaultValue = "${env:PRAAS_DEFAULT_TIMEOUT:-30s}",
                converter = DurationConverter.class,
                description = "Timeout of invocations that name none (default ${DEFAULT-VALUE}).")
        Duration defaultTimeout;

        @Option(names = "--max-timeout", defaultValue = "${env:PRAAS_MAX_TIMEOUT:-15m}",
                converter = DurationConverter.class, description = "Longest timeout allowed (default ${DEFAULT-VALUE}).")
        Duration maxTimeout;

        @Option(names = "--session-idle-timeout", defaultValue = "${env:PRAAS_SESSION_IDLE_TIMEOUT:-30m}",
                converter = DurationConverter.class, description = "Idle sessions expire after this (default ${DEFAULT-VALUE}).")
        Duration sessionIdleTimeout;

        @Option(names = "--max-sessions", defaultValue = "${env:PRAAS_MAX_SESSIONS:-10000}",
                description = "Sessions held at most (default ${DEFAULT-VALUE}).")
        int maxSessions;

        @Option(names = "--state-limit", defaultValue = "${env:PRAAS_STATE_LIMIT:-256m}",
                converter = SizeConverter.class,
                description = "Bytes of process plus session state held at most (default ${DEFAULT-VALUE}).")
        long stateLimit;

        @Option(names = "--drain-timeout", defaultValue = "${env:PRAAS_DRAIN_TIMEOUT:-10s}",
                converter = DurationConverter.class,
                description = "How long a stopping process lets in-flight invocations finish (default ${DEFAULT-VALUE}).")
        Duration drainTimeout;

        @Option(names = "--max-nesting-depth", defaultValue = "${env:PRAAS_MAX_NESTING_DEPTH:-8}",
                description = "How deep functions may invoke functions of their own process (default ${DEFAULT-VALUE}).")
        int maxNestingDepth;

        @Option(names = "--control-plane", defaultValue = "${env:PRAAS_CONTROL_PLANE}",
                description = "host:port of the control plane's control channel; the process registers there "
                        + "and stops when the channel is lost (env PRAAS_CONTROL_PLANE).")
        String controlPlane;

        @Option(names = "--control-token", defaultValue = "${env:PRAAS_CONTROL_TOKEN}",
                description = "Token the process registers with (env PRAAS_CONTROL_TOKEN).")
        String controlToken;

        @Option(names = "--advertise-host", defaultValue = "${env:PRAAS_ADVERTISE_HOST}",
                description = "Data-plane host announced to the control plane (env PRAAS_ADVERTISE_HOST; default: --host, or this "
                        + "machine's first non-loopback address when --host is a wildcard such as 0.0.0.0).")
        String advertiseHost;

        @Option(names = "--heartbeat-interval", defaultValue = "${env:PRAAS_HEARTBEAT_INTERVAL:-1s}",
                converter = DurationConverter.class,
                description = "How often metrics go to the control plane (default ${DEFAULT-VALUE}).")
        Duration heartbeatInterval;

        @Option(names = "--restore", defaultValue = "${env:PRAAS_SWAP_IN_MANIFEST}",
                description = "Manifest key of a swap snapshot to restore before serving (env PRAAS_SWAP_IN_MANIFEST). "
                        + "The object store comes from PRAAS_S3_ENDPOINT, PRAAS_S3_REGION, PRAAS_S3_BUCKET, "
                        + "PRAAS_S3_ACCESS_KEY and PRAAS_S3_SECRET_KEY.")
        String restore;

        @Option(names = "--swap-part-size", defaultValue = "${env:PRAAS_SWAP_PART_SIZE:-8m}", converter = SizeConverter.class,
                description = "Bytes per multipart part of a swap snapshot (default ${DEFAULT-VALUE}, at least 5m).")
        long swapPartSize;

        @Option(names = "--swap-parallelism", defaultValue = "${env:PRAAS_SWAP_PARALLELISM:-4}",
                description = "Snapshot parts transferred at once (default ${DEFAULT-VALUE}).")
        int swapParallelism;

        @Option(names = "--journal-dir", defaultValue = "${env:PRAAS_JOURNAL_DIR}",
                description = "Durability 'journal': every state and session change is appended to a Chronicle Queue "
                        + "in this directory before it is acknowledged, and replayed at start (env PRAAS_JOURNAL_DIR).")
        Path journalDir;

        @Option(names = "--parent-pid", defaultValue = "${env:PRAAS_PARENT_PID:-0}",
                description = "Stop when this process ends (for launchers such as tests and benchmarks; 0 = never).")
        long parentPid;

        @Override
        public Integer call() throws Exception {
            byte[] secret = readSecret(secretFile, System.getenv("PRAAS_APP_SECRET"));
            String codeLocation = appJar != null && !appJar.isBlank() ? appJar : System.getenv("PRAAS_APP_CODE");
            if (codeLocation == null || codeLocation.isBlank()) {
                System.err.println("praas process: give the application jar with --app-jar FILE or --app-jar "
                        + "s3://BUCKET/KEY (or PRAAS_APP_JAR, or PRAAS_APP_CODE)");
                return 2;
            }
            ApplicationCode code;
            Path jar;
            try {
                code = ApplicationCode.parse(codeLocation);
                jar = code.fetch(System.getenv());
            } catch (IllegalArgumentException | FunctionLoadingException e) {
                System.err.println("praas process: " + e.getMessage());
                return 1;
            }
            ProcessConfig config;
            try {
                config = new ProcessConfig(
                        application != null ? application : applicationFromJar(code.fileName()),
                        processId != null ? processId : "p-" + UUID.randomUUID().toString().substring(0, 8),
                        jar, host, port, dev, secret,
                        workers > 0 ? workers : Runtime.getRuntime().availableProcessors(),
                        queueCapacity, maxFrameBytes, defaultTimeout, maxTimeout, sessionIdleTimeout, maxSessions,
                        stateLimit, drainTimeout, maxNestingDepth);
            } catch (IllegalArgumentException e) {
                System.err.println("praas process: " + e.getMessage());
                return 2;
            }
            PraasProcess process;
            ControlChannel.Settings control = null;
            try {
                control = controlPlane == null || controlPlane.isBlank() ? null
                        : ControlChannel.Settings.parse(controlPlane, controlToken == null ? "" : controlToken,
                                advertisedHost(advertiseHost, host), heartbeatInterval);
                S3Settings store = S3Settings.fromEnvironment(System.getenv());
                SwapSettings swap = store == null ? null : new SwapSettings(store,
                        (int) Math.min(Integer.MAX_VALUE, swapPartSize), swapParallelism,
                        restore == null || restore.isBlank() ? null : restore);
                if (swap == null && restore != null && !restore.isBlank()) {
                    throw new IllegalArgumentException("--restore needs an object store: set PRAAS_S3_BUCKET and friends");
                }
                process = PraasProcess.start(config, control, swap, journalDir);
            } catch (CorruptSnapshotException | software.amazon.awssdk.core.exception.SdkException e) {
                System.err.println("praas process: cannot restore snapshot " + restore + ": " + e.getMessage());
                if (control != null) {
                    io.vertx.core.Vertx v = io.vertx.core.Vertx.vertx();
                    ControlChannel.reportRestoreFailure(v, control, config.application(), config.processId(), e.getMessage());
                    v.close();
                }
                return 3;
            } catch (FunctionLoadingException | IllegalStateException | IllegalArgumentException e) {
                System.err.println("praas process: " + e.getMessage());
                return 1;
            }
            // SIGTERM / SIGINT stop gracefully and exit 0; the hook covers any other exit.
            for (String signal : new String[] {"TERM", "INT"}) {
                sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> new Thread(() -> process.stop(GoAwayReason.STOPPING),
                        "praas-sig" + signal).start());
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> process.stop(GoAwayReason.STOPPING),
                    "praas-shutdown"));
            if (parentPid > 0) {
                // A launcher killed with SIGKILL runs no cleanup: its processes must not outlive it.
                ProcessHandle.of(parentPid).map(ProcessHandle::onExit)
                        .orElse(java.util.concurrent.CompletableFuture.completedFuture(null))
                        .thenRun(() -> new Thread(() -> process.stop(GoAwayReason.STOPPING), "praas-parent-gone").start());
            }
            if (portFile != null) {
                Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
                Files.writeString(tmp, Integer.toString(process.port()));
                Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            process.terminated().join();
            return 0;
        }

        /**
         * The data-plane host announced to the control plane: --advertise-host, else the bind host,
         * unless that is a wildcard (0.0.0.0 in a container or pod), which no peer can dial: then
         * this machine's first non-loopback address (the task's ENI, the pod's address).
         */
        static String advertisedHost(String advertiseHost, String host) {
            if (advertiseHost != null && !advertiseHost.isBlank()) {
                return advertiseHost.strip();
            }
            if (!host.equals("0.0.0.0") && !host.equals("::") && !host.equals("[::]")) {
                return host;
            }
            try {
                return java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                        .filter(Cli.ProcessCommand::upAndNotLoopback)
                        .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                        .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                        .map(java.net.InetAddress::getHostAddress)
                        .findFirst()
                        .orElse(java.net.InetAddress.getLocalHost().getHostAddress());
            } catch (IOException e) {
                throw new IllegalArgumentException("--host " + host + " is a wildcard and no address of this machine "
                        + "could be found to announce; set --advertise-host (PRAAS_ADVERTISE_HOST)", e);
            }
        }

        private static boolean upAndNotLoopback(java.net.NetworkInterface i) {
            try {
                return i.isUp() && !i.isLoopback();
            } catch (java.net.SocketException e) {
                return false;
            }
        }

        static String applicationFromJar(String jarFileName) {
            String name = jarFileName.replaceFirst("\\.jar$", "");
            return name.replaceFirst("-\\d+(\\.\\d+)*(-SNAPSHOT)?$", "");
        }
    }

    /** Prints a data-plane token for an application (and optionally one process). */
    @Command(name = "token", mixinStandardHelpOptions = true, description = "Issue a data-plane token.")
    static final class TokenCommand implements Callable<Integer> {
        @Option(names = "--application", required = true, description = "Application the token is for.")
        String application;

        @Option(names = "--process-id", defaultValue = "", description = "Limit the token to this process.")
        String processId;

        @Option(names = "--secret-file", defaultValue = "${env:PRAAS_APP_SECRET_FILE}",
                description = "File holding the application secret (or the secret itself in PRAAS_APP_SECRET).")
        Path secretFile;

        @Option(names = "--ttl", defaultValue = "1h", converter = DurationConverter.class,
                description = "How long the token is valid (default ${DEFAULT-VALUE}).")
        Duration ttl;

        @Override
        public Integer call() {
            byte[] secret = readSecret(secretFile, System.getenv("PRAAS_APP_SECRET"));
            if (secret.length == 0) {
                System.err.println("praas token: give the secret with --secret-file or PRAAS_APP_SECRET");
                return 2;
            }
            System.out.println(DataPlaneToken.issue(secret, application, processId, Instant.now().plus(ttl)));
            return 0;
        }
    }

    /** Durations as {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, or ISO-8601 ({@code PT30S}). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return parse(value);
            } catch (NumberFormatException | IndexOutOfBoundsException | java.time.format.DateTimeParseException e) {
                throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not a duration such as 250ms, 30s, 5m or 2h");
            }
        }

        private static Duration parse(String value) {
            String v = value.strip().toLowerCase();
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(value.strip().toUpperCase());
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            return switch (v.charAt(v.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not a duration such as 250ms, 30s, 5m or 2h");
            };
        }
    }

    /** Sizes as bytes or with a {@code k}, {@code m} or {@code g} suffix (powers of 1024). */
    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String v = value.strip().toLowerCase();
            long unit = switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
                case 'k' -> 1024L;
                case 'm' -> 1024L * 1024;
                case 'g' -> 1024L * 1024 * 1024;
                default -> 1L;
            };
            String digits = unit == 1 ? v : v.substring(0, v.length() - 1);
            try {
                return Math.multiplyExact(Long.parseLong(digits), unit);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size such as 1048576, 512k, 256m or 2g");
            }
        }
    }

}
