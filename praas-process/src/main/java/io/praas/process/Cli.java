package io.praas.process;

import io.praas.auth.DataPlaneToken;
import io.praas.process.control.ControlChannel;
import io.praas.process.storage.S3Settings;
import io.praas.process.swap.CorruptSnapshotException;
import io.praas.process.swap.SwapSettings;
import io.praas.process.function.ApplicationCode;
import io.praas.process.function.FunctionLoadingException;
import io.praas.protocol.GoAwayReason;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * The process runtime's command line: {@code process} runs one process, {@code token} issues a
 * data-plane token. Every option can also come from the environment variable named in its help and
 * from an argument file ({@code @file}); flags win over the environment, which wins over defaults.
 * Parsed by {@link Arguments}, which keeps a process start free of a reflective parser.
 */
public final class Cli {
    private Cli() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.getenv(), System.out, System.err));
    }

    /** Runs a command line with this JVM's stdout and stderr as they are now; returns the exit code (see below). */
    public static int run(List<String> args, Map<String, String> env) {
        return run(args, env, System.out, System.err);
    }

    /** Runs a command line and returns the exit code: 0 done, 1 failed, 2 wrong usage, 3 restore failed. */
    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        String command = args.isEmpty() ? "" : args.get(0);
        List<String> rest = args.isEmpty() ? List.of() : args.subList(1, args.size());
        try {
            switch (command) {
                case "process" -> {
                    return command(new ProcessCommand(env), "process", "Run one PraaS process standalone.",
                            ProcessOption.values(), rest, env, out, err);
                }
                case "token" -> {
                    return command(new TokenCommand(env), "token", "Issue a data-plane token.", TokenOption.values(),
                            rest, env, out, err);
                }
                case "standby" -> {
                    return io.praas.process.launch.Standby.serve(rest, env, System.in);
                }
                case "-V", "--version" -> {
                    out.println(PraasProcess.VERSION);
                    return 0;
                }
                case "", "-h", "--help" -> {
                    out.println("Usage: praas COMMAND [OPTIONS]   (praas COMMAND --help lists the options)");
                    out.println("PraaS process runtime.");
                    out.println("  process   Run one PraaS process standalone.");
                    out.println("  token     Issue a data-plane token.");
                    out.println("  standby   A pre-started JVM that runs `process` once told how on stdin (the local backend's pool).");
                    out.println("  -V, --version");
                    return 0;
                }
                default -> throw new Arguments.UsageException("unknown command '" + command + "' (process, token, standby)");
            }
        } catch (Arguments.UsageException e) {
            err.println("praas " + (command.startsWith("-") || command.isEmpty() ? "" : command + ": ") + e.getMessage());
            err.println("Try 'praas " + (command.equals("process") || command.equals("token") ? command + " " : "")
                    + "--help'.");
            return 2;
        } catch (Exception e) {
            err.println("praas " + command + ": " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /** A command whose fields its options set. */
    private interface Command {
        int call(PrintStream out, PrintStream err) throws Exception;
    }

    /** {@code -V}, {@code --help}, or the command with its options parsed. */
    private static <C extends Command> int command(C command, String name, String description,
                                                   Arguments.Option<C>[] options, List<String> args,
                                                   Map<String, String> env, PrintStream out, PrintStream err)
            throws Exception {
        if (wantsVersion(args)) {
            out.println(PraasProcess.VERSION);
            return 0;
        }
        if (wantsHelp(args)) {
            Arguments.usage(out, name, description, options);
            return 0;
        }
        Arguments.parse(command, options, Arguments.expandFiles(args), env);
        return command.call(out, err);
    }

    /**
     * Parses a {@code praas process} command line and environment as a control plane gives them,
     * without running it: part of a standby JVM's warm-up, so that the process it is handed does
     * not pay for initialising the options (their ~30 setters, ~5 ms in a standby before).
     */
    public static void warmUpOptions() throws Arguments.UsageException {
        Map<String, String> env = Map.of("PRAAS_APPLICATION", "standby", "PRAAS_PROCESS_ID", "warm-up",
                "PRAAS_APP_SECRET", "warm-up", "PRAAS_CONTROL_PLANE", "127.0.0.1:1", "PRAAS_PORT", "0",
                "PRAAS_MAX_SESSIONS", "100", "PRAAS_STATE_LIMIT", "256m", "PRAAS_HEARTBEAT_INTERVAL", "1000ms",
                "PRAAS_SWAP_INLINE", "true", "PRAAS_SWAP_IN_MANIFEST", "swaps/standby/warm-up/gen-000000000001/manifest.json");
        Arguments.parse(new ProcessCommand(env), ProcessOption.values(), List.of("--app-jar", "warm-up.jar"), env);
    }

    private static boolean wantsHelp(List<String> args) {
        return args.contains("-h") || args.contains("--help");
    }

    private static boolean wantsVersion(List<String> args) {
        return args.contains("-V") || args.contains("--version");
    }

    static byte[] readSecret(Path file, String env) throws Arguments.UsageException {
        try {
            if (file != null) {
                return Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new Arguments.UsageException("cannot read the secret file " + file + ": " + e.getMessage());
        }
        return env == null ? new byte[0] : env.strip().getBytes(StandardCharsets.UTF_8);
    }

    /** The options of {@code praas process}. */
    enum ProcessOption implements Arguments.Option<ProcessCommand> {
        APP_JAR("--app-jar", "PRAAS_APP_JAR", null, "Application jar with the functions: a file, or s3://BUCKET/KEY "
                + "in the object store, downloaded with the PRAAS_S3_* settings (else PRAAS_APP_CODE, which the "
                + "control plane sets to the jar it stores).",
                (c, v) -> c.appJar = v),
        APPLICATION("--application", "PRAAS_APPLICATION", null,
                "Application name (default: the jar's file name without version and .jar).",
                (c, v) -> c.application = v),
        PROCESS_ID("--process-id", "PRAAS_PROCESS_ID", null, "Process id (default: a random one).",
                (c, v) -> c.processId = v),
        HOST("--host", "PRAAS_HOST", "127.0.0.1", "Data-plane bind address.",
                (c, v) -> c.host = v),
        PORT("--port", "PRAAS_PORT", "8000", "Data-plane port, 0 for any free one.",
                (c, v) -> c.port = integer(v)),
        PORT_FILE("--port-file", "PRAAS_PORT_FILE", null, "Write the bound port to this file once serving.",
                (c, v) -> c.portFile = Path.of(v)),
        DEV("--dev", "PRAAS_DEV", null, "Dev mode: accept clients without a token.", (c, v) -> c.dev = bool(v)) {
            @Override
            public boolean isSwitch() {
                return true;
            }
        },
        SECRET_FILE("--secret-file", "PRAAS_APP_SECRET_FILE", null,
                "File holding the application secret that signs tokens (or the secret itself in PRAAS_APP_SECRET).",
                (c, v) -> c.secretFile = Path.of(v)),
        WORKERS("--workers", "PRAAS_WORKERS", null, "Worker threads (default: available processors).",
                (c, v) -> c.workers = integer(v)),
        QUEUE_CAPACITY("--queue-capacity", "PRAAS_QUEUE_CAPACITY", "1024",
                "Invocations that may wait for a worker before OVERLOADED.",
                (c, v) -> c.queueCapacity = integer(v)),
        MAX_FRAME_BYTES("--max-frame-bytes", "PRAAS_MAX_FRAME_BYTES", "16777216", "Largest frame accepted.",
                (c, v) -> c.maxFrameBytes = integer(v)),
        DEFAULT_TIMEOUT("--default-timeout", "PRAAS_DEFAULT_TIMEOUT", "30s", "Timeout of invocations that name none.",
                (c, v) -> c.defaultTimeout = duration(v)),
        MAX_TIMEOUT("--max-timeout", "PRAAS_MAX_TIMEOUT", "15m", "Longest timeout allowed.",
                (c, v) -> c.maxTimeout = duration(v)),
        SESSION_IDLE_TIMEOUT("--session-idle-timeout", "PRAAS_SESSION_IDLE_TIMEOUT", "30m",
                "Idle sessions expire after this.",
                (c, v) -> c.sessionIdleTimeout = duration(v)),
        MAX_SESSIONS("--max-sessions", "PRAAS_MAX_SESSIONS", "10000", "Sessions held at most.",
                (c, v) -> c.maxSessions = integer(v)),
        STATE_LIMIT("--state-limit", "PRAAS_STATE_LIMIT", "256m", "Bytes of process plus session state held at most.",
                (c, v) -> c.stateLimit = size(v)),
        DRAIN_TIMEOUT("--drain-timeout", "PRAAS_DRAIN_TIMEOUT", "10s",
                "How long a stopping process lets in-flight invocations finish.",
                (c, v) -> c.drainTimeout = duration(v)),
        MAX_NESTING_DEPTH("--max-nesting-depth", "PRAAS_MAX_NESTING_DEPTH", "8",
                "How deep functions may invoke functions of their own process.",
                (c, v) -> c.maxNestingDepth = integer(v)),
        CONTROL_PLANE("--control-plane", "PRAAS_CONTROL_PLANE", null, "host:port of the control plane's control "
                + "channel; the process registers there and stops when the channel is lost.",
                (c, v) -> c.controlPlane = v),
        CONTROL_TOKEN("--control-token", "PRAAS_CONTROL_TOKEN", null, "Token the process registers with.",
                (c, v) -> c.controlToken = v),
        ADVERTISE_HOST("--advertise-host", "PRAAS_ADVERTISE_HOST", null, "Data-plane host announced to the control "
                + "plane (default: --host, or this machine's first non-loopback address when --host is a wildcard "
                + "such as 0.0.0.0).",
                (c, v) -> c.advertiseHost = v),
        HEARTBEAT_INTERVAL("--heartbeat-interval", "PRAAS_HEARTBEAT_INTERVAL", "1s",
                "How often metrics go to the control plane.",
                (c, v) -> c.heartbeatInterval = duration(v)),
        RESTORE("--restore", "PRAAS_SWAP_IN_MANIFEST", null, "Manifest key of a swap snapshot to restore before "
                + "serving. The object store comes from PRAAS_S3_ENDPOINT, PRAAS_S3_REGION, PRAAS_S3_BUCKET, "
                + "PRAAS_S3_ACCESS_KEY and PRAAS_S3_SECRET_KEY.",
                (c, v) -> c.restore = v),
        RESTORE_INLINE("--restore-inline", "PRAAS_SWAP_IN_INLINE", null, "The control plane's copy of a small "
                + "snapshot to restore (base64url), so that the swap-in need not read the store; used only if it "
                + "is the --restore snapshot and passes its checks.",
                (c, v) -> c.restoreInline = v),
        SWAP_INLINE("--swap-inline", "PRAAS_SWAP_INLINE", "false", "Send the control plane a copy of a snapshot "
                + "of at most 4 KiB with SWAPPED, for its next swap-in (set by control planes whose backend takes "
                + "such copies).",
                (c, v) -> c.swapInline = bool(v)),
        SWAP_PART_SIZE("--swap-part-size", "PRAAS_SWAP_PART_SIZE", "8m",
                "Bytes per multipart part of a swap snapshot (at least 5m).",
                (c, v) -> c.swapPartSize = size(v)),
        SWAP_PARALLELISM("--swap-parallelism", "PRAAS_SWAP_PARALLELISM", "4", "Snapshot parts transferred at once.",
                (c, v) -> c.swapParallelism = integer(v)),
        JOURNAL_DIR("--journal-dir", "PRAAS_JOURNAL_DIR", null, "Durability 'journal': every state and session "
                + "change is appended to a Chronicle Queue in this directory before it is acknowledged, and "
                + "replayed at start.",
                (c, v) -> c.journalDir = Path.of(v)),
        JOURNAL_COMPACT_BYTES("--journal-compact-bytes", "PRAAS_JOURNAL_COMPACT_BYTES", "64m", "Durability "
                + "'journal': compact the journal in the background once it holds this many bytes, and after that "
                + "once it holds twice what the last compaction kept (0: never).",
                (c, v) -> c.journalCompactBytes = size(v)),
        PARENT_PID("--parent-pid", "PRAAS_PARENT_PID", "0",
                "Stop when this process ends (for launchers such as tests and benchmarks; 0 = never).",
                (c, v) -> c.parentPid = Long.parseLong(v.strip()));

        private final Arguments.Spec<ProcessCommand> spec;

        ProcessOption(String flag, String env, String defaultValue, String description, BiConsumer<ProcessCommand, String> setter) {
            this.spec = new Arguments.Spec<>(flag, env, defaultValue, description, setter);
        }

        @Override
        public Arguments.Spec<ProcessCommand> spec() {
            return spec;
        }
    }

    /** Runs one process until SIGTERM / SIGINT. */
    static final class ProcessCommand implements Command {
        /** The environment the options and the store's settings come from. */
        private final Map<String, String> env;
        String appJar;
        String application;
        String processId;
        String host;
        int port;
        Path portFile;
        boolean dev;
        Path secretFile;
        int workers;
        int queueCapacity;
        int maxFrameBytes;
        Duration defaultTimeout;
        Duration maxTimeout;
        Duration sessionIdleTimeout;
        int maxSessions;
        long stateLimit;
        Duration drainTimeout;
        int maxNestingDepth;
        String controlPlane;
        String controlToken;
        String advertiseHost;
        Duration heartbeatInterval;
        String restore;
        String restoreInline;
        boolean swapInline;
        long swapPartSize;
        int swapParallelism;
        Path journalDir;
        long journalCompactBytes;
        long parentPid;

        ProcessCommand(Map<String, String> env) {
            this.env = env;
        }

        @Override
        public int call(PrintStream out, PrintStream err) throws Exception {
            byte[] secret = readSecret(secretFile, env.get("PRAAS_APP_SECRET"));
            String codeLocation = appJar != null && !appJar.isBlank() ? appJar : env.get("PRAAS_APP_CODE");
            if (codeLocation == null || codeLocation.isBlank()) {
                err.println("praas process: give the application jar with --app-jar FILE or --app-jar "
                        + "s3://BUCKET/KEY (or PRAAS_APP_JAR, or PRAAS_APP_CODE)");
                return 2;
            }
            ApplicationCode code;
            Path jar;
            try {
                code = ApplicationCode.parse(codeLocation);
                jar = code.fetch(env);
            } catch (IllegalArgumentException | FunctionLoadingException e) {
                err.println("praas process: " + e.getMessage());
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
                err.println("praas process: " + e.getMessage());
                return 2;
            }
            PraasProcess process;
            ControlChannel.Settings control = null;
            try {
                control = controlPlane == null || controlPlane.isBlank() ? null
                        : ControlChannel.Settings.parse(controlPlane, controlToken == null ? "" : controlToken,
                                advertisedHost(advertiseHost, host), heartbeatInterval);
                S3Settings store = S3Settings.fromEnvironment(env);
                SwapSettings swap = store == null ? null : new SwapSettings(store,
                        (int) Math.min(Integer.MAX_VALUE, swapPartSize), swapParallelism,
                        restore == null || restore.isBlank() ? null : restore, inlineCopy(restoreInline, err),
                        swapInline);
                if (swap == null && restore != null && !restore.isBlank()) {
                    throw new IllegalArgumentException("--restore needs an object store: set PRAAS_S3_BUCKET and friends");
                }
                process = PraasProcess.start(config, control, swap, journalDir, journalCompactBytes);
            } catch (CorruptSnapshotException | software.amazon.awssdk.core.exception.SdkException e) {
                err.println("praas process: cannot restore snapshot " + restore + ": " + e.getMessage());
                if (control != null) {
                    io.vertx.core.Vertx v = io.vertx.core.Vertx.vertx();
                    ControlChannel.reportRestoreFailure(v, control, config.application(), config.processId(), e.getMessage());
                    v.close();
                }
                return 3;
            } catch (FunctionLoadingException | IllegalStateException | IllegalArgumentException e) {
                err.println("praas process: " + e.getMessage());
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

    /** The options of {@code praas token}. */
    enum TokenOption implements Arguments.Option<TokenCommand> {
        APPLICATION("--application", null, null, "Application the token is for.", (c, v) -> c.application = v) {
            @Override
            public boolean required() {
                return true;
            }
        },
        PROCESS_ID("--process-id", null, "", "Limit the token to this process.",
                (c, v) -> c.processId = v),
        SECRET_FILE("--secret-file", "PRAAS_APP_SECRET_FILE", null,
                "File holding the application secret (or the secret itself in PRAAS_APP_SECRET).",
                (c, v) -> c.secretFile = Path.of(v)),
        TTL("--ttl", null, "1h", "How long the token is valid.",
                (c, v) -> c.ttl = duration(v));

        private final Arguments.Spec<TokenCommand> spec;

        TokenOption(String flag, String env, String defaultValue, String description, BiConsumer<TokenCommand, String> setter) {
            this.spec = new Arguments.Spec<>(flag, env, defaultValue, description, setter);
        }

        @Override
        public Arguments.Spec<TokenCommand> spec() {
            return spec;
        }
    }

    /** Prints a data-plane token for an application (and optionally one process). */
    static final class TokenCommand implements Command {
        private final Map<String, String> env;
        String application;
        String processId;
        Path secretFile;
        Duration ttl;

        TokenCommand(Map<String, String> env) {
            this.env = env;
        }

        @Override
        public int call(PrintStream out, PrintStream err) throws Arguments.UsageException {
            byte[] secret = readSecret(secretFile, env.get("PRAAS_APP_SECRET"));
            if (secret.length == 0) {
                err.println("praas token: give the secret with --secret-file or PRAAS_APP_SECRET");
                return 2;
            }
            out.println(DataPlaneToken.issue(secret, application, processId, Instant.now().plus(ttl)));
            return 0;
        }
    }

    static int integer(String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a whole number");
        }
    }

    static boolean bool(String value) {
        return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new IllegalArgumentException("'" + value + "' is not true or false");
        };
    }

    /** The inline snapshot copy, or null (none, or not base64url: then the swap-in reads the store). */
    static byte[] inlineCopy(String base64, PrintStream err) {
        if (base64 == null || base64.isBlank()) {
            return null;
        }
        try {
            return java.util.Base64.getUrlDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            err.println("praas process: ignoring --restore-inline, not base64url (" + e.getMessage() + ")");
            return null;
        }
    }

    /** Durations as {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, or ISO-8601 ({@code PT30S}). */
    static Duration duration(String value) {
        try {
            String v = value.strip().toLowerCase(java.util.Locale.ROOT);
            if (v.startsWith("p")) {
                return Duration.parse(v.toUpperCase(java.util.Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            switch (v.charAt(v.length() - 1)) {
                case 's':
                    return Duration.ofSeconds(n);
                case 'm':
                    return Duration.ofMinutes(n);
                case 'h':
                    return Duration.ofHours(n);
                default:
                    break;
            }
        } catch (NumberFormatException | IndexOutOfBoundsException | java.time.format.DateTimeParseException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + value + "' is not a duration such as 250ms, 30s, 5m or 2h");
    }

    /** Sizes as bytes or with a {@code k}, {@code m} or {@code g} suffix (powers of 1024). */
    static long size(String value) {
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
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
            throw new IllegalArgumentException("'" + value + "' is not a size such as 1048576, 512k, 256m or 2g");
        }
    }
}
