package io.praas.process.launch;

import io.praas.client.ProcessClient;
import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.process.PraasProcess;
import io.praas.process.ProcessConfig;
import io.praas.process.storage.S3Settings;
import io.praas.process.storage.SignedRequests;
import io.praas.process.swap.SwapSettings;
import io.praas.protocol.GoAwayReason;
import io.praas.protocol.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * A pre-started process JVM (the local backend's pool): {@code praas standby} starts the JVM, runs
 * processes of a built-in function once to load and initialise what every process uses (Vert.x and
 * Netty, the data plane, the invoke path, the SDK client, the registration with a control plane, a
 * swap-out and a swap-in from its inline copy, signed store requests, the command line's parsing),
 * starts the Vert.x its process will take ({@link PraasProcess#prestartVertx}), then waits for a
 * {@link Launch} on stdin. Given one, it sends its output to the
 * launch's log file and runs {@code praas process} with the launch's arguments and environment, as
 * a JVM started for that process would, minus the JVM start and the first-use costs: ~0.3 s on
 * this project's machine. Stdin closing before a launch (the launcher went away) ends it.
 *
 * <p>The process's settings arrive in the launch and are put into this JVM's environment before
 * the process starts ({@link #setEnvironment}), so user code that reads them with
 * {@code System.getenv} sees what a JVM started for the process would, and so does a child process
 * started with {@code ProcessBuilder.environment()} (one started without it inherits the JVM's
 * native environment, which Java cannot change: the launcher's). Variables the JVM itself reads as
 * it starts ({@code JAVA_TOOL_OPTIONS}, {@code TZ}, {@code LANG}) are the launcher's.
 */
public final class Standby {
    private static final Logger LOG = LoggerFactory.getLogger(Standby.class);
    /** The first field of every launch: a launcher and a standby of other versions do not mix. */
    static final String MAGIC = "praas-launch/1";
    /** The exit code of a standby that cannot give a process its environment (a launcher stops using standbys). */
    public static final int CANNOT_SET_ENVIRONMENT = 4;

    private Standby() {
    }

    /**
     * What a standby runs: the {@code praas process} arguments, the environment its settings come
     * from (over the JVM's own), and the file its output goes to (appended; null keeps the JVM's).
     */
    public record Launch(List<String> args, Map<String, String> environment, Path log) {
        public Launch {
            args = List.copyOf(args);
            environment = Map.copyOf(environment);
        }

        /** The arguments, the names of the settings (not their values: secrets among them) and the log. */
        @Override
        public String toString() {
            return "Launch[args=" + args + ", environment=" + new java.util.TreeSet<>(environment.keySet()) + ", log="
                    + log + "]";
        }

        /** Writes this launch to a standby's stdin, and flushes it. @throws java.io.UTFDataFormatException for a string over 64 KiB */
        public void writeTo(OutputStream stdin) throws IOException {
            DataOutputStream out = new DataOutputStream(stdin);
            out.writeUTF(MAGIC);
            out.writeInt(args.size());
            for (String a : args) {
                out.writeUTF(a);
            }
            out.writeInt(environment.size());
            for (Map.Entry<String, String> e : environment.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            out.writeUTF(log == null ? "" : log.toString());
            out.flush();
        }

        /** Reads a launch; null when the stream ends before one starts. @throws IOException if it is not one */
        static Launch readFrom(InputStream stdin) throws IOException {
            DataInputStream in = new DataInputStream(stdin);
            String magic;
            try {
                magic = in.readUTF();
            } catch (EOFException e) {
                return null;
            }
            if (!MAGIC.equals(magic)) {
                throw new IOException("not a launch: it starts with '" + magic + "', not '" + MAGIC + "'");
            }
            List<String> args = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                args.add(in.readUTF());
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                env.put(in.readUTF(), in.readUTF());
            }
            String log = in.readUTF();
            return new Launch(args, env, log.isEmpty() ? null : Path.of(log));
        }
    }

    /**
     * {@code praas standby [--ready-file FILE]}: warms up, creates {@code FILE} (so that a launcher
     * can tell that it is warm), then runs the launch read from {@code stdin}. Returns the exit code:
     * the process's, or 0 when stdin closes first, 2 for a bad command line or launch.
     */
    public static int serve(List<String> args, Map<String, String> env, InputStream stdin) {
        Path ready = null;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--ready-file") && i + 1 < args.size()) {
                ready = Path.of(args.get(++i));
            } else {
                System.err.println("praas standby: unknown option '" + args.get(i) + "' (--ready-file FILE)");
                return 2;
            }
        }
        // The launch's settings become this JVM's environment, as a JVM started for the process has
        // them: user code reads its configuration with System.getenv. A JVM where that cannot be
        // done says so by its exit code instead of taking a launch.
        if (!canSetEnvironment()) {
            System.err.println("praas standby: this JVM's environment cannot be set (java.util must be open to "
                    + "this code: --add-opens=java.base/java.util=ALL-UNNAMED); a standby cannot serve");
            return CANNOT_SET_ENVIRONMENT;
        }
        long t0 = System.nanoTime();
        warmUp();
        // After the warm-up, whose processes would take it: the process's own, ready when it comes.
        try {
            PraasProcess.prestartVertx();
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("standby: cannot start the process's Vert.x ahead, the process will start it: {}", e.toString());
        }
        LOG.debug("standby warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
        try {
            return runLaunch(ready, env, stdin);
        } finally {
            PraasProcess.closePrestartedVertx(); // not taken: no launch, or a start that failed before
        }
    }

    /** Says it is ready, then reads the launch and runs its process; returns the exit code. */
    private static int runLaunch(Path ready, Map<String, String> env, InputStream stdin) {
        if (ready != null) {
            try {
                Files.writeString(ready, Long.toString(ProcessHandle.current().pid()));
            } catch (IOException e) {
                LOG.warn("standby: cannot write {}: {}", ready, e.toString());
            }
        }
        Launch launch;
        try {
            launch = Launch.readFrom(stdin);
        } catch (IOException e) {
            System.err.println("praas standby: " + e.getMessage());
            return 2;
        }
        if (launch == null) {
            return 0; // the launcher closed the pool
        }
        if (launch.log() != null) {
            try {
                PrintStream log = new PrintStream(new FileOutputStream(launch.log().toFile(), true), true,
                        StandardCharsets.UTF_8);
                System.setOut(log);
                System.setErr(log); // the operators' log writes to System.err, whichever it is now
            } catch (IOException e) {
                System.err.println("praas standby: cannot write the process's log " + launch.log() + ": " + e);
            }
        }
        Map<String, String> merged = new HashMap<>(env);
        merged.putAll(launch.environment());
        if (!setEnvironment(launch.environment())) { // the JVM can (checked before it was ready): a bad variable
            System.err.println("praas standby: the launch's environment cannot be set: " + launch);
            return 2;
        }
        io.praas.process.logging.OperatorLogging.applyLevel(merged);
        List<String> command = new ArrayList<>();
        command.add("process");
        command.addAll(launch.args());
        return io.praas.process.Cli.run(command, merged);
    }

    /**
     * Adds {@code variables} to this JVM's environment as {@link System#getenv} and
     * {@code ProcessBuilder.environment()} read it: through the map behind {@code System.getenv()}'s
     * unmodifiable view (the project's JVM flags open {@code java.util}). Returns false when that
     * cannot be done, changing nothing.
     */
    static boolean setEnvironment(Map<String, String> variables) {
        for (Map.Entry<String, String> e : variables.entrySet()) { // what the JDK would refuse for a child
            if (e.getKey().isEmpty() || e.getKey().indexOf('=') >= 0 || e.getKey().indexOf('\u0000') >= 0
                    || e.getValue().indexOf('\u0000') >= 0) {
                LOG.warn("standby: not an environment variable: {}", e.getKey());
                return false;
            }
        }
        try {
            mutableEnvironment().putAll(variables);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("cannot set the environment: {}", e.toString());
            return false;
        }
    }

    /** Whether {@link #setEnvironment} works in this JVM: a variable set is read back, then taken out. */
    static boolean canSetEnvironment() {
        String probe = "PRAAS_STANDBY_PROBE_" + ProcessHandle.current().pid();
        if (!setEnvironment(Map.of(probe, "1")) || !"1".equals(System.getenv(probe))) {
            return false;
        }
        try {
            removeFromEnvironment(probe);
            return System.getenv(probe) == null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Takes {@code name} out of this JVM's environment again (the probe; tests that set one). */
    static void removeFromEnvironment(String name) throws ReflectiveOperationException {
        mutableEnvironment().remove(name);
    }

    /** The map behind {@code System.getenv()}'s unmodifiable view (ProcessEnvironment's). */
    @SuppressWarnings("unchecked")
    private static Map<String, String> mutableEnvironment() throws ReflectiveOperationException {
        Map<String, String> view = System.getenv();
        java.lang.reflect.Field inner = view.getClass().getDeclaredField("m");
        inner.setAccessible(true);
        return (Map<String, String>) inner.get(view);
    }

    /**
     * Loads and runs, once, what a process's start and first requests use; a failure here is logged
     * and does not stop the standby (the process then pays those costs itself). Returns whether it
     * all ran.
     */
    static boolean warmUp() {
        Path dir = null;
        io.praas.process.logging.OperatorLogging.quiet(true); // the warm-up process logs nothing
        try (FakeStore store = FakeStore.start(); FakeControlPlane controlPlane = FakeControlPlane.start()) {
            dir = Files.createTempDirectory("praas-standby-");
            dir.toFile().deleteOnExit(); // also when the launcher ends the standby during its warm-up
            Path jar = warmUpJar(dir);
            jar.toFile().deleteOnExit(); // (deleted in reverse order: the jar, then its directory)
            ProcessConfig config = ProcessConfig.defaults("standby", "warm-up", jar);
            // A start with its registration, invocations in and out of a session, and a swap-out of
            // the state they left, with its inline copy (SNAPSHOT.md)...
            PraasProcess p = PraasProcess.start(config, controlPlane.settings(), new SwapSettings(store.settings(),
                    SwapSettings.DEFAULT_PART_SIZE, SwapSettings.DEFAULT_PARALLELISM, null, null, true), null);
            Message swapped;
            try {
                invokeWarmUp(p, 20);
                swapped = p.swapOut(1, Duration.ofSeconds(5));
            } finally {
                p.stop(GoAwayReason.SWAPPING_OUT);
            }
            if (!(swapped instanceof Message.Swapped s) || s.inline().length == 0) {
                throw new IllegalStateException("the warm-up swap-out answered " + swapped);
            }
            // ...then a swap-in from that copy: the copy checked beside the functions' loading, the
            // state and the session restored before the process serves.
            PraasProcess q = PraasProcess.start(config, controlPlane.settings(), new SwapSettings(store.settings(),
                    SwapSettings.DEFAULT_PART_SIZE, SwapSettings.DEFAULT_PARALLELISM, s.manifestKey(), s.inline(), true),
                    null);
            try {
                invokeWarmUp(q, 2);
            } finally {
                q.stop(GoAwayReason.STOPPING);
            }
            warmUpStoreRequests(store.settings());
            io.praas.process.Cli.warmUpOptions();
            return true;
        } catch (Exception | LinkageError e) {
            LOG.warn("standby: warm-up failed, the process will start cold: {}", e.toString());
            return false;
        } finally {
            io.praas.process.logging.OperatorLogging.quiet(false);
            if (dir != null) {
                LocalProcess.deleteTree(dir);
            }
        }
    }

    /** {@code times} invocations of {@link WarmUp} over a new connection, the last one in a session. */
    private static void invokeWarmUp(PraasProcess p, int times) {
        try (ProcessClient c = ProcessClient.builder().address("127.0.0.1", p.port()).connect()) {
            for (int i = 0; i < times - 1; i++) {
                c.invoke("warmUp", new byte[i * 100]);
            }
            c.openSession().invoke("warmUp", new byte[100]);
        }
    }

    /**
     * Signed GETs, ranged GETs and a PUT against the warm-up's store, as a restore from the store
     * and a swap-out of more than an inline copy's worth take them.
     */
    private static void warmUpStoreRequests(S3Settings settings) throws IOException {
        SignedRequests store = new SignedRequests(settings);
        byte[] body = new byte[FakeStore.BODY_BYTES];
        for (int i = 0; i < 3; i++) {
            store.get("swaps/a/p/gen-000000000001/manifest.json");
            store.getRange("swaps/a/p/gen-000000000001/data", 0, body.length);
            store.get("swaps/a/p/missing");
            store.put("swaps/a/p/gen-000000000002/data", body, body.length, i, "application/octet-stream");
        }
    }

    /**
     * A throwaway HTTP server on loopback that answers as an object store would, without keeping
     * anything: a PUT gets an ETag, a GET (ranged or not) {@link #BODY_BYTES} zeros, a key ending in
     * {@code /missing} S3's NoSuchKey, a listing no keys.
     */
    private static final class FakeStore implements AutoCloseable {
        static final int BODY_BYTES = 4096;
        private final com.sun.net.httpserver.HttpServer server;

        private FakeStore(com.sun.net.httpserver.HttpServer server) {
            this.server = server;
        }

        static FakeStore start() throws IOException {
            com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            byte[] body = new byte[BODY_BYTES];
            server.createContext("/", exchange -> {
                try (exchange) {
                    exchange.getRequestBody().readAllBytes();
                    String query = exchange.getRequestURI().getRawQuery();
                    if (exchange.getRequestURI().getPath().endsWith("/missing")) {
                        byte[] error = "<Error><Code>NoSuchKey</Code></Error>".getBytes(StandardCharsets.UTF_8);
                        exchange.sendResponseHeaders(404, error.length);
                        exchange.getResponseBody().write(error);
                    } else if (exchange.getRequestMethod().equals("PUT")) {
                        exchange.getResponseHeaders().add("ETag", "\"warm-up\"");
                        exchange.sendResponseHeaders(200, -1);
                    } else if (query != null && (query.contains("list-type=2")
                            || exchange.getRequestMethod().equals("GET") && query.contains("uploads="))) {
                        byte[] none = "<ListResult><IsTruncated>false</IsTruncated></ListResult>"
                                .getBytes(StandardCharsets.UTF_8);
                        exchange.sendResponseHeaders(200, none.length);
                        exchange.getResponseBody().write(none);
                    } else {
                        boolean ranged = exchange.getRequestHeaders().containsKey("Range");
                        exchange.sendResponseHeaders(ranged ? 206 : 200, body.length);
                        exchange.getResponseBody().write(body);
                    }
                }
            });
            server.start();
            return new FakeStore(server);
        }

        S3Settings settings() {
            return new S3Settings(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "us-east-1",
                    "warm-up", "access", "secret");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /**
     * A throwaway control plane on loopback: it accepts every REGISTER, and reads what else comes
     * (heartbeats) until the process closes its channel, or until it is closed.
     */
    private static final class FakeControlPlane implements AutoCloseable {
        private final java.net.ServerSocket server;
        /** The channels it accepted, closed with it: a process that failed to start may not close its own. */
        private final java.util.Set<java.net.Socket> channels = java.util.concurrent.ConcurrentHashMap.newKeySet();

        private FakeControlPlane(java.net.ServerSocket server) {
            this.server = server;
        }

        static FakeControlPlane start() throws IOException {
            FakeControlPlane plane = new FakeControlPlane(
                    new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress()));
            daemon("praas-standby-control", () -> {
                while (!plane.server.isClosed()) {
                    try {
                        java.net.Socket channel = plane.server.accept();
                        plane.channels.add(channel);
                        daemon("praas-standby-channel", () -> serve(channel));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            return plane;
        }

        private static void serve(java.net.Socket channel) {
            try (channel) {
                DataInputStream in = new DataInputStream(channel.getInputStream());
                while (true) {
                    int length = in.readInt();
                    byte[] rest = in.readNBytes(length);
                    io.praas.protocol.Frame f = io.praas.protocol.FrameCodec.decode(
                            io.vertx.core.buffer.Buffer.buffer().appendInt(length).appendBytes(rest));
                    if (f.message() instanceof Message.Register) {
                        channel.getOutputStream().write(io.praas.protocol.FrameCodec.encode(f.requestId(),
                                new Message.Ok()).getBytes());
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the process closed its channel (EOF), or sent what this does not read: the end
            }
        }

        private static void daemon(String name, Runnable body) {
            Thread t = new Thread(body, name);
            t.setDaemon(true);
            t.start();
        }

        io.praas.process.control.ControlChannel.Settings settings() {
            return new io.praas.process.control.ControlChannel.Settings("127.0.0.1", server.getLocalPort(), "warm-up",
                    "127.0.0.1", Duration.ofMillis(50));
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (java.net.Socket channel : channels) {
                channel.close();
            }
        }
    }

    /** A jar whose only content names {@link WarmUp} as its function (the class itself is on the classpath). */
    private static Path warmUpJar(Path dir) throws IOException {
        Path jar = dir.resolve("warm-up.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("META-INF/services/" + Function.class.getName()));
            out.write((WarmUp.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }

    /** The warm-up's function: writes and reads process state, answers its input. */
    public static final class WarmUp implements Function<byte[], byte[]> {
        @Override
        public byte[] handle(byte[] input, Context context) {
            context.processState().put("n", input.length);
            context.processState().get("n", Integer.class);
            if (context.sessionId().isPresent()) {
                context.sessionState().put("n", input.length);
            }
            return input;
        }

        @Override
        public String name() {
            return "warmUp";
        }
    }
}
