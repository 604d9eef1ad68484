package io.praas.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.client.ProcessClient;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Process start to first served invocation, and swap-in of a small state against a fresh start of
 * the same application, in one run: one control-plane node in this JVM, the benchmark's own
 * application ({@link BenchApp}), default resources (1 vCPU, 512 MiB).
 *
 * <ul>
 *   <li>fresh start: {@code POST /processes} (allocate, JVM start, register: ACTIVE), then a
 *       data-plane connection with the returned token and a first 1 KiB {@code echo};</li>
 *   <li>swap-in: a process holding 1 KiB of state is swapped out (not timed), then
 *       {@code POST .../swapin} (JVM start, restore, register), then the same first echo.</li>
 * </ul>
 * The two alternate (ABBA); each OS process has exited before the next start, and one unmeasured
 * fresh start first puts the jar in the node's code cache and the JVM's files in the page cache.
 */
final class ColdStartBench {
    static final String NAME = "cold-start";
    static final double START_TARGET_MS = 1000;
    static final double SWAP_IN_TARGET = 1.2;
    static final String APP = "coldstart";
    static final int STATE_BYTES = 1024;
    private static final int PAYLOAD = 1024;

    /** One start: the control plane's answer, the first invoke after it, and the phases. */
    record Start(double requestMs, double firstInvokeMs, StartPhases phases) {
        double totalMs() {
            return requestMs + firstInvokeMs;
        }
    }

    record Result(List<Start> fresh, List<Start> swapIns, List<Double> swapOuts, List<String> failedSwapOuts) {
        List<Double> freshRequest() {
            return fresh.stream().map(Start::requestMs).toList();
        }

        List<Double> freshTotal() {
            return fresh.stream().map(Start::totalMs).toList();
        }

        List<Double> swapInRequest() {
            return swapIns.stream().map(Start::requestMs).toList();
        }

        List<Double> swapInTotal() {
            return swapIns.stream().map(Start::totalMs).toList();
        }

        boolean startPass() {
            return Stats.percentile(freshTotal(), 0.5) < START_TARGET_MS;
        }

        double swapInRatio() {
            return Stats.percentile(swapInRequest(), 0.5) / Stats.percentile(freshRequest(), 0.5);
        }

        boolean swapInPass() {
            return swapInRatio() <= SWAP_IN_TARGET;
        }
    }

    /** Swap-outs tried in a row before the benchmark gives up. */
    private static final int SWAP_OUT_ATTEMPTS = 3;

    private final BenchOptions options;
    private final byte[] payload = new byte[PAYLOAD];
    private final List<Double> swapOuts = new ArrayList<>();
    private final List<String> failedSwapOuts = new ArrayList<>();
    /** The process that swaps: 1 KiB of state, swapped out before every swap-in. */
    private String keeperId;
    private long stateBytes;

    ColdStartBench(BenchOptions options) {
        this.options = options;
        new SplittableRandom(PAYLOAD).nextBytes(payload);
    }

    Result run() throws Exception {
        List<Start> fresh = new ArrayList<>();
        List<Start> swapIns = new ArrayList<>();
        Bench.progress("cold-start: starting a control-plane node in this JVM");
        try (BenchControlPlane cp = BenchControlPlane.start(NAME, 4096, options.keepData(), options.standbyJvms())) {
            cp.deploy(APP, BenchApp.jar(), Map.of("resources", Map.of("vcpu", 1, "memoryMiB", 512),
                    "limits", Map.of("maxProcesses", 4)));
            Start warm = fresh(cp);
            Bench.progress("cold-start: unmeasured first start %s ms + first invoke %s ms", Stats.ms(warm.requestMs()),
                    Stats.ms(warm.firstInvokeMs()));
            try {
                newKeeper(cp);
                swapOutKeeper(cp);
                for (int i = 0; i < options.starts(); i++) {
                    if (i % 2 == 0) {
                        fresh.add(fresh(cp));
                        swapIns.add(swapIn(cp));
                    } else {
                        swapIns.add(swapIn(cp));
                        fresh.add(fresh(cp));
                    }
                    if (i < options.starts() - 1) {
                        swapOutKeeper(cp);
                    }
                    Start f = fresh.get(fresh.size() - 1);
                    Start s = swapIns.get(swapIns.size() - 1);
                    Bench.progress("cold-start: %d/%d fresh %s + %s ms, swap-in %s + %s ms (create/swap-in + first invoke)",
                            i + 1, options.starts(), Stats.ms(f.requestMs()), Stats.ms(f.firstInvokeMs()),
                            Stats.ms(s.requestMs()), Stats.ms(s.firstInvokeMs()));
                }
            } finally {
                deleteKeeper(cp);
            }
        }
        return new Result(fresh, swapIns, swapOuts, failedSwapOuts);
    }

    /** A new keeper process with 1 KiB of state. */
    private void newKeeper(BenchControlPlane cp) {
        JsonNode keeper = cp.createProcess(APP).json();
        keeperId = keeper.path("id").asText();
        try (ProcessClient c = cp.connect(keeper, Duration.ofSeconds(30))) {
            stateBytes = Long.parseLong(new String(c.invoke("fill", ("small:" + STATE_BYTES).getBytes(StandardCharsets.UTF_8)),
                    StandardCharsets.UTF_8));
        }
    }

    private void deleteKeeper(BenchControlPlane cp) {
        if (keeperId == null) {
            return;
        }
        try {
            Optional<ProcessHandle> jvm = cp.osProcess(APP, keeperId);
            cp.deleteProcess(APP, keeperId);
            BenchControlPlane.awaitExit(jvm);
        } catch (RuntimeException e) {
            Bench.progress("cold-start: could not delete %s: %s", keeperId, e);
        }
        keeperId = null;
    }

    /**
     * Swaps the keeper out and waits for its JVM to exit (the wall time is kept). A swap-out that does
     * not answer SWAPPED_OUT is recorded and tried again: on the same keeper if it serves again, else
     * on a new one.
     */
    private void swapOutKeeper(BenchControlPlane cp) {
        for (int attempt = 1; ; attempt++) {
            Optional<ProcessHandle> jvm = cp.osProcess(APP, keeperId);
            cp.awaitStandbys();
            BenchControlPlane.Reply r = cp.trySwapOut(APP, keeperId);
            if (r.status() == 200) {
                swapOuts.add(r.millis());
                BenchControlPlane.awaitExit(jvm);
                return;
            }
            String status = cp.status(APP, keeperId);
            failedSwapOuts.add("HTTP " + r.status() + " " + r.json().path("message").asText() + " -> " + status);
            Bench.progress("cold-start: swap-out of %s failed (HTTP %d, now %s): %s", keeperId, r.status(), status, r.text());
            if (attempt >= SWAP_OUT_ATTEMPTS) {
                throw new IllegalStateException("swap-out failed " + attempt + " times in a row: " + failedSwapOuts);
            }
            if (!status.equals("ACTIVE")) { // a failed swap-out that leaves the process serving is simply retried
                deleteKeeper(cp);
                newKeeper(cp);
            }
        }
    }

    /** A fresh process: create, connect, first echo; then it is deleted (not timed). */
    private Start fresh(BenchControlPlane cp) {
        cp.awaitStandbys();
        System.gc();
        Instant sent = Instant.now();
        BenchControlPlane.Reply created = cp.createProcess(APP);
        Instant answered = Instant.now();
        JsonNode p = created.json();
        String id = p.path("id").asText();
        Path log = cp.logOf(APP, id);
        Optional<ProcessHandle> jvm = cp.osProcess(APP, id);
        double first = firstInvoke(cp, p);
        StartPhases phases = StartPhases.read(log, 0, sent, answered, StartPhases.started(jvm));
        cp.deleteProcess(APP, id);
        BenchControlPlane.awaitExit(jvm);
        return new Start(created.millis(), first, phases);
    }

    /** Swaps the (swapped-out) keeper in, connects, first echo, and checks its state came back. */
    private Start swapIn(BenchControlPlane cp) {
        String id = keeperId;
        Path log = cp.logOf(APP, id);
        long offset = BenchControlPlane.sizeOf(log);
        cp.awaitStandbys();
        System.gc();
        Instant sent = Instant.now();
        BenchControlPlane.Reply r = cp.swapIn(APP, id);
        Instant answered = Instant.now();
        double first = firstInvoke(cp, r.json());
        StartPhases phases = StartPhases.read(log, offset, sent, answered, StartPhases.started(cp.osProcess(APP, id)));
        try (ProcessClient c = cp.connect(r.json(), Duration.ofSeconds(30))) {
            long restored = Long.parseLong(new String(c.invoke("stateSize", new byte[0]), StandardCharsets.UTF_8));
            if (restored != stateBytes) {
                throw new IllegalStateException("swapped-in " + id + " holds " + restored + " bytes of state, not " + stateBytes);
            }
        }
        return new Start(r.millis(), first, phases);
    }

    /** Connect (HELLO with the token) and a first 1 KiB echo: the first served invocation. */
    private double firstInvoke(BenchControlPlane cp, JsonNode process) {
        long t0 = System.nanoTime();
        try (ProcessClient c = cp.connect(process, Duration.ofSeconds(30))) {
            byte[] answer = c.invoke("echo", payload);
            long t1 = System.nanoTime();
            if (!Arrays.equals(answer, payload)) {
                throw new IllegalStateException("the first echo returned other bytes");
            }
            return (t1 - t0) / 1e6;
        }
    }

    static String table(Result r) {
        MarkdownTable t = new MarkdownTable("case", "n", "PraaS p50 ms", "PraaS p99 ms", "baseline", "baseline p50 ms",
                "p50 ratio", "PraaS runs", "baseline runs", "target", "result");
        List<Double> freshTotal = r.freshTotal();
        t.row("start to first invocation (create + connect + 1 KiB echo)", freshTotal.size(),
                Stats.ms(Stats.percentile(freshTotal, 0.5)), Stats.ms(Stats.percentile(freshTotal, 0.99)), "-", "-", "-",
                Stats.runs(freshTotal), "-", "p50 < 1000 ms", r.startPass() ? "PASS" : "MISS");
        t.row("swap-in of 1 KiB state vs fresh create (POST wall time)", r.swapIns().size(),
                Stats.ms(Stats.percentile(r.swapInRequest(), 0.5)), Stats.ms(Stats.percentile(r.swapInRequest(), 0.99)),
                "fresh create", Stats.ms(Stats.percentile(r.freshRequest(), 0.5)), Stats.ratio(r.swapInRatio()),
                Stats.runs(r.swapInRequest()), Stats.runs(r.freshRequest()), "<= 1.2x", r.swapInPass() ? "PASS" : "MISS");
        double totalRatio = Stats.percentile(r.swapInTotal(), 0.5) / Stats.percentile(freshTotal, 0.5);
        t.row("swap-in + first invocation vs start + first invocation", r.swapIns().size(),
                Stats.ms(Stats.percentile(r.swapInTotal(), 0.5)), Stats.ms(Stats.percentile(r.swapInTotal(), 0.99)),
                "fresh start", Stats.ms(Stats.percentile(freshTotal, 0.5)), Stats.ratio(totalRatio),
                Stats.runs(r.swapInTotal()), Stats.runs(freshTotal), "-", "info");
        List<Double> firstFresh = r.fresh().stream().map(Start::firstInvokeMs).toList();
        t.row("first invocation after a fresh start (connect + echo)", firstFresh.size(),
                Stats.ms(Stats.percentile(firstFresh, 0.5)), Stats.ms(Stats.percentile(firstFresh, 0.99)), "-", "-", "-",
                Stats.runs(firstFresh), "-", "-", "info");
        t.row("swap-out of 1 KiB state (POST wall time; failed: " + r.failedSwapOuts().size() + " of "
                        + (r.failedSwapOuts().size() + r.swapOuts().size()) + ")", r.swapOuts().size(),
                Stats.ms(Stats.percentile(r.swapOuts(), 0.5)), Stats.ms(Stats.percentile(r.swapOuts(), 0.99)), "-", "-", "-",
                Stats.runs(r.swapOuts()), "-", "-", "info");
        return t.render();
    }

    static String phaseTable(Result r) {
        MarkdownTable t = new MarkdownTable("start (p50 per phase)", "request -> JVM forked", "JVM boot -> functions loaded",
                "-> restore start (S3 client, stores)", "restore", "-> registered", "registered -> answer",
                "total (wall)");
        row(t, "fresh create", StartPhases.median(r.fresh().stream().map(Start::phases).toList()));
        row(t, "swap-in (1 KiB)", StartPhases.median(r.swapIns().stream().map(Start::phases).toList()));
        return t.render();
    }

    private static void row(MarkdownTable t, String name, StartPhases p) {
        t.row(name, Stats.ms(p.spawn()), Stats.ms(p.boot()), Stats.ms(p.preRestore()), Stats.ms(p.restore()),
                Stats.ms(p.serve()), Stats.ms(p.answer()), Stats.ms(p.total()));
    }
}
