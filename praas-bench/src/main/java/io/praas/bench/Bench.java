package io.praas.bench;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;

/**
 * The end-to-end benchmarks of DESIGN.md that compare PraaS with a baseline in the same run:
 * {@code latency} (echo invoke vs raw TCP echo), {@code throughput} (pipelined no-op invokes vs a
 * Vert.x echo server), {@code invoke-path} (data plane vs the control plane's HTTP API),
 * {@code swap} (swap-out/in vs a raw multipart upload/download of the same bytes) and
 * {@code cold-start} (start to first invocation; swap-in vs a fresh start), {@code messaging}
 * (ping-pong and k-means: messaging vs S3 vs Redis) and {@code registry} (one application's
 * processes through the registry's index vs a scan of every record). Each prints a Markdown
 * table with the ratios, the targets and PASS/MISS, and writes it to {@code results-<name>.md}.
 *
 * <pre>{@code
 * ./praas bench all
 * ./praas bench latency --iterations 50000 --sizes 10,1k
 * ./praas bench throughput --seconds 10 --runs 3
 * ./praas bench invoke-path --path-iterations 20000
 * ./praas bench swap --sizes 1m,100m
 * ./praas bench cold-start --starts 9
 * }</pre>
 */
public final class Bench {
    private Bench() {
    }

    /** The benchmark's logback configuration, a resource of this module. */
    static final String LOGBACK_CONFIG = "praas-bench-logback.xml";

    public static void main(String[] args) throws Exception {
        // Before the first logger: several modules on the classpath ship a logback.xml.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(BenchOptions.USAGE);
            return;
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("praas bench: " + e.getMessage());
            System.err.print(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        Path samplesJar = samplesJar();
        Path out = options.out() != null ? options.out() : defaultOutputDir();
        Files.createDirectories(out);
        String environment = environment(options);
        System.out.println("# PraaS benchmarks\n\n" + environment);

        int misses = 0;
        boolean all = options.command().equals("all");
        try {
            if (all || options.command().equals(LatencyBench.NAME)) {
                String loadBefore = loadAverage();
                LatencyBench latency = new LatencyBench(options, samplesJar);
                List<LatencyBench.Row> rows = latency.run();
                String load = "Load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAverage() + ".\n";
                misses += (int) rows.stream().filter(r -> !r.info() && !r.pass()).count();
                String md = "## Invoke latency: PraaS data plane vs raw TCP echo over loopback\n\n"
                        + LatencyBench.table(rows) + "\n" + latencyNotes(options, rows, latency.pinned()) + "\n" + load;
                publish(out, LatencyBench.NAME, environment, md);
            }
            if (all || options.command().equals(ThroughputBench.NAME)) {
                String loadBefore = loadAverage();
                ThroughputBench.Result r = new ThroughputBench(options, samplesJar).run();
                String load = "Load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAverage() + ".\n";
                misses += r.ratio() >= ThroughputBench.TARGET ? 0 : 1;
                String md = "## Throughput: pipelined no-op invokes vs a Vert.x echo server\n\n"
                        + ThroughputBench.table(r) + "\n" + throughputNotes(options, r) + "\n" + load;
                publish(out, ThroughputBench.NAME, environment, md);
            }
            if (all || options.command().equals(InvokePathBench.NAME)) {
                String loadBefore = loadAverage();
                List<InvokePathBench.Row> rows = new InvokePathBench(options, samplesJar).run();
                String load = "Load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAverage() + ".\n";
                misses += (int) rows.stream().filter(r -> !r.info() && !r.pass()).count();
                String md = "## Invoke path: data plane vs the control plane's HTTP API\n\n"
                        + InvokePathBench.table(rows) + "\n" + invokePathNotes(options, rows) + "\n" + load;
                publish(out, InvokePathBench.NAME, environment, md);
            }
            if (all || options.command().equals(SwapBench.NAME)) {
                String loadBefore = loadAverage();
                SwapBench.Result r = new SwapBench(options).run();
                String load = "Load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAverage() + ".\n";
                misses += (int) r.rows().stream().filter(row -> !row.pass()).count();
                String md = "## Swap: swap-out / swap-in vs a raw multipart upload / download of the same bytes\n\n"
                        + SwapBench.table(r) + "\nWhere a swap-in's time goes (medians, ms):\n\n"
                        + SwapBench.phaseTable(r) + "\n" + swapNotes(options, r) + failureNotes(SwapBench.failures(r))
                        + "\n" + load;
                publish(out, SwapBench.NAME, environment, md);
            }
            if (all || options.command().equals(ColdStartBench.NAME)) {
                String loadBefore = loadAverage();
                ColdStartBench.Result r = new ColdStartBench(options).run();
                String load = "Load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAverage() + ".\n";
                misses += (r.startPass() ? 0 : 1) + (r.swapInPass() ? 0 : 1);
                String md = "## Cold start: start to first invocation; swap-in vs a fresh start\n\n"
                        + ColdStartBench.table(r) + "\nWhere a start's time goes (medians, ms):\n\n"
                        + ColdStartBench.phaseTable(r) + "\n" + coldStartNotes(options) + failureNotes(r.failedSwapOuts())
                        + "\n" + load;
                publish(out, ColdStartBench.NAME, environment, md);
            }
            if (all || options.command().equals(RegistryBench.NAME)) {
                String loadBefore = loadAverage();
                List<RegistryBench.Row> rows = new RegistryBench().run();
                String load = "Load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAverage() + ".\n";
                String md = "## Registry: the process records' indexes vs none\n\n"
                        + RegistryBench.table(rows) + "\n" + """
                        Two Hazelcast members in this JVM, each a cluster of its own, holding the same process \
                        records (ten transitions each): one configured as a control-plane node's (hash indexes \
                        of the records by application and by node), one without indexes. Finding an \
                        application's processes: `Registry.processes(app)` through the index, against reading \
                        every record (`entrySet`) and keeping the application's, as the registry did before \
                        its index; both must find the same records. A heartbeat's update: \
                        `Registry.update` of one record's metrics (read, compare-and-set), which with the \
                        indexes updates them too. Each side in six blocks (ABBA) after one unmeasured block. \
                        No target: it shows how the control plane's per-application lookups scale with the \
                        processes of the whole cluster, and what the indexes cost each write.
                        """ + "\n" + load;
                publish(out, RegistryBench.NAME, environment, md);
            }
            if (all || options.command().equals(MessagingBench.NAME)) {
                String loadBefore = loadAverage();
                MessagingBench.Result r = new MessagingBench(options, samplesJar).run();
                String load = "Load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAverage() + ".\n";
                misses += MessagingBench.misses(r);
                String md = "## Messaging: ping-pong between two processes, PraaS vs S3 vs Redis (and raw TCP, the floor)\n\n"
                        + MessagingBench.pingTable(r) + "\n" + """
                        Round-trip time measured inside the pinging process (System.nanoTime), nearest-rank \
                        percentiles. PraaS: `ctx.send` + `ctx.receive` over a direct peer connection. S3: PUT \
                        of the ping object, the other process GETs it (polling every 5 ms while absent) and PUTs \
                        the pong, to the node's S3-compatible store (S3Proxy on loopback), URL-connection HTTP \
                        client as the swap path. Redis: RPUSH / BLPOP on a redis-server on loopback, one \
                        TCP_NODELAY connection per process, RPUSH and BLPOP pipelined on the pinging side; PraaS \
                        likewise awaits a send's acknowledgement after the answer. Raw TCP: the same two process \
                        JVMs exchange the payload over one plain blocking socket (TCP_NODELAY), the pong side \
                        echoing it: no exchange between the two processes can be faster, so PraaS / raw TCP is \
                        what messaging adds to the wire, and Redis / raw TCP shows what a 2x target against \
                        Redis asks (Redis's round trip is two such hops through its server). First 20,000 \
                        unmeasured 1 KiB rounds each for PraaS, Redis and raw TCP (the processes' JIT); then per \
                        size the three alternate in blocks (ABBA) of 2,500 rounds (100 at 1 MiB) after 500 (20) \
                        unmeasured ones, two blocks each; S3 one block of 150 rounds (40 at 1 MiB) after 20 (5).
                        """ + "\n## Reduction: k-means epoch over 4 and 8 processes\n\n" + MessagingBench.kmeansTable(r)
                        + "\n" + """
                        Each process holds %d points of %d dimensions; k = %d. First, for the processes' JIT, \
                        %d unmeasured epochs per way and group size over one point per process (%d for S3); then \
                        per group size an unmeasured run per way over the shards, and two measured runs per way, \
                        PraaS and Redis alternating (ABBA) and S3's last, each of %d unmeasured and %d measured \
                        epochs (%d and %d for S3), pooled per way; an \
                        epoch's time is the slowest member's (local step plus the exchange of the %d partial sums); \
                        "local step" is the slowest member's assignment step alone, the same work in every way: \
                        with 4 or 8 processes on this machine's 2 cores it is most of an epoch. PraaS: `Group.allReduce(double[], SUM)` (recursive doubling). S3: every \
                        process PUTs its sums and GETs the others' (polling every 5 ms). Redis: every process \
                        RPUSHes to a list the first one BLPOPs; it RPUSHes the total to one list per process. \
                        All members end with the same centroids (checked).
                        """.formatted(MessagingBench.KMEANS_POINTS, MessagingBench.KMEANS_DIMS, MessagingBench.KMEANS_K,
                        MessagingBench.kmeansJitEpochs("messaging"), MessagingBench.kmeansJitEpochs("s3"),
                        MessagingBench.kmeansWarmupEpochs("messaging"), MessagingBench.kmeansEpochs("messaging"),
                        MessagingBench.kmeansWarmupEpochs("s3"), MessagingBench.kmeansEpochs("s3"),
                        MessagingBench.KMEANS_K * MessagingBench.KMEANS_DIMS + MessagingBench.KMEANS_K + 1) + "\n" + load;
                publish(out, MessagingBench.NAME, environment, md);
            }
        } finally {
            List<ProcessHandle> left = ServerJvm.leftovers();
            if (!left.isEmpty()) {
                System.err.println("praas bench: child processes still running: "
                        + left.stream().map(h -> Long.toString(h.pid())).toList());
            }
        }
        System.out.println(misses == 0 ? "All targets met." : misses + " target(s) missed (MISS above).");
    }

    /** The 1/5/15-minute load averages, to judge how quiet the machine was (other work skews latency). */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    static void progress(String format, Object... args) {
        System.err.printf("[bench] " + format + "%n", args);
    }

    private static void publish(Path out, String name, String environment, String markdown) throws IOException {
        System.out.println(markdown);
        Path file = out.resolve("results-" + name + ".md");
        Files.writeString(file, "# PraaS benchmark: " + name + "\n\n" + environment + "\n" + markdown,
                StandardCharsets.UTF_8);
        progress("wrote %s", file);
    }

    private static String latencyNotes(BenchOptions o, List<LatencyBench.Row> rows, boolean pinned) {
        boolean truncated = rows.stream().anyMatch(LatencyBench.Row::truncated);
        return """
                Round-trip time per call (System.nanoTime), nearest-rank percentiles; n = round trips per side. \
                PraaS: `ProcessClient.invoke("echo")` to a process of `samples` in its own JVM. Raw: a blocking \
                socket (TCP_NODELAY, buffered streams, 4-byte length + payload) to a thread-per-connection echo \
                server in its own JVM. Both servers run with the same java and JVM flags, both clients in this JVM \
                reuse one connection, both are warmed up (%d round trips per side, fewer above 16 KiB but at least %d) and measured \
                in %d alternating blocks (ABBA). Rows marked info have no target: `session invoke` is \
                `ProcessSession.invoke("echo")`; `ping` is `ProcessClient.ping`, answered on the process's event \
                loop (no worker hand-off, no function), so ping vs direct invoke is the invoke path inside the \
                process. %s%s
                """.formatted(o.warmup(), Math.min(o.warmup(), BenchOptions.WARMUP_FLOOR), o.rounds(), pinned
                        ? "Pinned with taskset: every thread of this JVM (the clients) on core 0, both server JVMs on "
                        + "core 1, so that every round trip crosses cores as it crosses hosts in a deployment "
                        + "(unpinned, the kernel moves client and server onto one core and apart again during a run: "
                        + "a raw round trip then takes ~9 us on a shared core and 60-90 us across cores)."
                        : "Not pinned to cores (--no-pin or no taskset): client and servers go where the kernel puts "
                        + "them, which on 2 cores decides much of each ratio.",
                        truncated ? " * = stopped at --case-timeout." : "");
    }

    private static String throughputNotes(BenchOptions o, ThroughputBench.Result r) {
        return """
                Completions per second over %d s after %d s of warm-up; %d runs per side alternating (ABBA) after \
                one unmeasured %d s run per side, each run on a new connection; the best run of each side counts \
                (all runs listed). PraaS: one `ProcessClient`, %d sessions, %d `invokeAsync("noop", %d B)` in \
                flight per session. Vert.x echo: one Vert.x NetClient connection keeping %d INVOKE frames of %d B \
                in flight; the server answers each on its event loop with a RESULT frame of %d B (the sizes of the \
                PraaS frames).
                """.formatted(o.seconds(), o.warmupSeconds(), o.runs(), o.warmupRunSeconds(), r.sessions(),
                r.window(), o.throughputBytes(), r.inFlight(), r.requestFrameBytes(), r.answerFrameBytes());
    }

    private static String invokePathNotes(BenchOptions o, List<InvokePathBench.Row> rows) {
        boolean truncated = rows.stream().anyMatch(InvokePathBench.Row::truncated);
        return """
                Round-trip time per call (System.nanoTime), nearest-rank percentiles; n = calls per side; ratios are \
                the other path over the data plane (the target: the data plane at least 3x faster at p50). Data \
                plane: `ProcessClient.invoke("echo")` straight to a process of `samples` (its own JVM, started by a \
                control-plane node in this JVM, dev mode). Control plane: `POST \
                /v1/applications/samples/functions/echo/invoke?process=<id>` with the same 1 KiB body through \
                `java.net.http.HttpClient` (HTTP/1.1, one connection reused); the node routes it to the same process \
                over its own data-plane connection. Both warmed up (%d calls per side) and measured in %d \
                alternating blocks (ABBA). The info row is `GET /v1/health`: the HTTP round trip of the node \
                without any invoke.%s
                """.formatted(o.pathWarmup(), o.rounds(), truncated ? " * = stopped at --case-timeout." : "");
    }

    private static String swapNotes(BenchOptions o, SwapBench.Result r) {
        return """
                Medians of %d cycles per size (%d above 256 MiB); every run listed. One control-plane node in this \
                JVM (local backend with %s); its embedded S3Proxy (filesystem store) is the object store of both sides. PraaS: one process \
                of the benchmark's own application (%d vCPU, %d MiB: a heap of 75%%, as each 1 MiB value is a G1 \
                humongous object taking a 2 MiB region; state limit %d MiB) filled by its `fill` function with \
                random bytes in 1 MiB values; swap-out = wall time of `POST .../swap` (GOAWAY, drain, \
                snapshot: encode, CRC32C per part, multipart upload, manifest; answer), \
                process-side = the `durationMs` it reports; swap-in = wall time of `POST .../swapin` (a start: \
                standby or new JVM; restore checking each part's CRC32C, register), process-side = "restored snapshot ... in N ms" from its log. \
                Raw: a multipart upload of as many bytes as the snapshot (random data) and ranged GETs of it, with \
                an S3 client built from the same `S3Settings`, part size %d MiB and %d parts in flight on %d \
                threads, as the process, but in this (warm) JVM. \
                Within a cycle the sides alternate which goes first; each JVM a swap-out ends has exited before the \
                next step. The target (within 1.3x of the raw transfer) is judged on the wall time; a swap-in's wall \
                time includes a process start, which dominates small states. Phases: from this JVM's clock, the OS \
                process's start time and the process's log (ms); "registered -> answer" is negative when the answer \
                arrived before the process logged its registration (it logs after the control plane's acknowledgement).
                """.formatted(o.swapRepeats(), Math.max(1, o.swapRepeats() - 1), standbys(o), r.vcpu(), r.memoryMiB(),
                r.stateLimitMiB(), io.praas.process.swap.SwapSettings.DEFAULT_PART_SIZE / (1024 * 1024),
                io.praas.process.swap.SwapSettings.DEFAULT_PARALLELISM,
                io.praas.process.swap.SwapSettings.DEFAULT_PARALLELISM);
    }

    /** The swap-outs that did not answer SWAPPED_OUT (each process was replaced and swapped out again). */
    private static String failureNotes(List<String> failures) {
        if (failures.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("\nFailed swap-outs (not timed; swapped out again: the same process if it "
                + "served again, else a new one with the same state):\n\n");
        failures.forEach(f -> b.append("- ").append(f).append('\n'));
        return b.toString();
    }

    private static String coldStartNotes(BenchOptions o) {
        return """
                %d fresh starts and %d swap-ins, alternating (ABBA), after one unmeasured start; nearest-rank \
                percentiles (p99 of so few is the slowest). One control-plane node in this JVM (dev mode, local \
                backend with %s), the benchmark's own application (1 vCPU, 512 MiB). Fresh start = \
                wall time of `POST /processes` (allocate, JVM start or standby, load functions, listen, register: ACTIVE) plus \
                a new data-plane connection (HELLO with the returned token) and a first 1 KiB `echo`. Swap-in = a \
                process with 1 KiB of state, swapped out (not timed; its JVM has exited), then `POST .../swapin` and \
                the same first echo. The phase table comes from this JVM's clock, the OS process's start time (10 ms \
                resolution) and the process's log (ms timestamps); "registered -> answer" is negative when the answer \
                arrived before the process logged its registration (it logs after the control plane's acknowledgement).
                """.formatted(o.starts(), o.starts(), standbys(o));
    }

    /** How the local backend starts processes in a run of {@code o}. */
    static String standbys(BenchOptions o) {
        return o.standbyJvms() == 0 ? "no standby JVMs: every process is a new JVM"
                : o.standbyJvms() + " standby JVM(s) per shape, warm before each measured start";
    }

    private static String environment(BenchOptions o) {
        return String.format("- run: %s, %s %s (%s), %d CPUs, %s %s%n- options: iterations %d, warmup %d, rounds %d,"
                        + " sizes %s, throughput %d s x %d runs (+%d s warm-up each, %d s warm-up run),"
                        + " %d sessions x %d in flight; invoke-path %d (+%d warm-up); swap sizes %s x %d;"
                        + " cold-start %d starts%n",
                OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS),
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                System.getProperty("java.vm.vendor"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"),
                o.iterations(), o.warmup(), o.rounds(),
                o.sizes().stream().map(BenchOptions::humanBytes).toList(), o.seconds(), o.runs(), o.warmupSeconds(),
                o.warmupRunSeconds(), o.sessions(), o.window(), o.pathIterations(), o.pathWarmup(),
                o.swapSizes().stream().map(BenchOptions::humanBytes).toList(), o.swapRepeats(), o.starts());
    }

    /** The samples jar on this JVM's classpath: the entry whose file name starts with "samples-". */
    private static Path samplesJar() {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (p.getFileName() != null && p.getFileName().toString().startsWith("samples-")
                    && p.getFileName().toString().endsWith(".jar")) {
                return p.toAbsolutePath();
            }
        }
        throw new IllegalStateException(
                "no samples-*.jar on the classpath; run through ./praas bench after mvn install");
    }

    /** praas-bench/target: the directory of this module's jar (or of target/classes). */
    private static Path defaultOutputDir() {
        try {
            Path code = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = code.getParent();
            return dir != null ? dir : Path.of(".");
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return Path.of("praas-bench", "target");
        }
    }
}
