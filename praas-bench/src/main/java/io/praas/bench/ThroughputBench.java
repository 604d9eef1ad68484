package io.praas.bench;

import io.praas.process.launch.LocalProcess;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Pipelined no-op invokes over 16 sessions of one PraaS process against a Vert.x server that
 * answers the same frames on its event loop, with the same number of requests in flight. The
 * sides run alternately (ABBA), each run on a fresh connection, and each side's best run counts.
 */
final class ThroughputBench {
    static final String NAME = "throughput";
    static final double TARGET = 0.5;
    private static final long DRAIN_TIMEOUT_MS = 30_000;

    /** Completions per second of every run of each side, in run order. */
    record Result(int inFlight, int sessions, int window, int requestFrameBytes, int answerFrameBytes,
                  List<Double> praas, List<Double> baseline) {
        double bestPraas() {
            return praas.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        }

        double bestBaseline() {
            return baseline.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        }

        double ratio() {
            return bestPraas() / bestBaseline();
        }
    }

    private final BenchOptions options;
    private final Path samplesJar;

    ThroughputBench(BenchOptions options, Path samplesJar) {
        this.options = options;
        this.samplesJar = samplesJar;
    }

    Result run() throws InterruptedException {
        int sessions = options.sessions();
        int window = options.window();
        int inFlight = sessions * window;
        byte[] payload = new byte[options.throughputBytes()];
        List<Double> praasRates = new ArrayList<>();
        List<Double> baselineRates = new ArrayList<>();
        Bench.progress("throughput: starting a PraaS process and the Vert.x echo server (separate JVMs)");
        try (LocalProcess praas = LocalProcess.builder(samplesJar).arg("--dev", "--application", "samples").start()) {
            ServerJvm.track(praas);
            try (ServerJvm echo = ServerJvm.start(VertxEchoServer.class)) {
                Bench.progress("throughput: PraaS process pid %d port %d, Vert.x echo pid %d port %d",
                        praas.pid(), praas.port(), echo.pid(), echo.port());
                // The baseline sends INVOKE frames exactly as large as the PraaS client's (a session id is a UUID).
                Message.Invoke invoke = new Message.Invoke("noop", UUID.randomUUID().toString(),
                        30_000, payload);
                Supplier<PraasPipeline> praasSide = () -> new PraasPipeline("127.0.0.1", praas.port(), sessions,
                        window, "noop", payload);
                Supplier<VertxPipeline> baselineSide =
                        () -> new VertxPipeline("127.0.0.1", echo.port(), inFlight, invoke);
                // An unmeasured run per side first: the first measured run must not pay for JIT compilation.
                warmUp("PraaS", praasSide);
                warmUp("Vert.x echo", baselineSide);
                for (int run = 0; run < options.runs(); run++) {
                    if (run % 2 == 0) {
                        praasRates.add(measure("PraaS", run, praasSide));
                        baselineRates.add(measure("Vert.x echo", run, baselineSide));
                    } else {
                        baselineRates.add(measure("Vert.x echo", run, baselineSide));
                        praasRates.add(measure("PraaS", run, praasSide));
                    }
                }
                int requestBytes = FrameCodec.encode(1, invoke).length();
                int answerBytes = VertxEchoServer.answerFrame().length();
                return new Result(inFlight, sessions, window, requestBytes, answerBytes, praasRates, baselineRates);
            } catch (RuntimeException | InterruptedException e) {
                System.err.println("PraaS process log:\n" + praas.log());
                throw e;
            }
        }
    }

    private void warmUp(String side, Supplier<? extends Pipeline> connect) throws InterruptedException {
        try (Pipeline p = connect.get()) {
            p.start();
            Thread.sleep(options.warmupRunSeconds() * 1_000L);
            p.stop();
            finish(side, p);
            Bench.progress("throughput: warm-up  %-11s %,d completions in %d s (not counted)", side, p.completed(),
                    options.warmupRunSeconds());
        }
    }

    /** After {@link Pipeline#stop()}: waits for the requests in flight; throws if any failed or hung. */
    private static void finish(String side, Pipeline p) throws InterruptedException {
        boolean drained = p.awaitDrained(DRAIN_TIMEOUT_MS);
        if (p.failed() > 0) {
            throw new IllegalStateException(side + ": " + p.failed() + " requests failed; the first: "
                    + p.firstFailure(), p.firstFailure());
        }
        if (!drained) {
            throw new IllegalStateException(side + ": requests still in flight " + DRAIN_TIMEOUT_MS
                    + " ms after the run");
        }
    }

    private double measure(String side, int run, Supplier<? extends Pipeline> connect) throws InterruptedException {
        try (Pipeline p = connect.get()) {
            p.start();
            Thread.sleep(options.warmupSeconds() * 1_000L);
            long c0 = p.completed();
            long t0 = System.nanoTime();
            Thread.sleep(options.seconds() * 1_000L);
            long c1 = p.completed();
            long t1 = System.nanoTime();
            p.stop();
            finish(side, p);
            double rate = (c1 - c0) / ((t1 - t0) / 1e9);
            Bench.progress("throughput: run %d %-11s %,10.0f ops/s (%,d completions in %.2f s)",
                    run + 1, side, rate, c1 - c0, (t1 - t0) / 1e9);
            return rate;
        }
    }

    static String table(Result r) {
        MarkdownTable t = new MarkdownTable("benchmark", "in flight", "PraaS ops/s (best)", "Vert.x echo ops/s (best)",
                "ratio", "PraaS runs", "Vert.x echo runs", "target", "result");
        t.row("no-op invoke, " + r.sessions() + " sessions x " + r.window(), r.inFlight(),
                String.format("%,.0f", r.bestPraas()), String.format("%,.0f", r.bestBaseline()),
                String.format("%.2fx", r.ratio()), rates(r.praas()), rates(r.baseline()),
                ">= 0.5x", r.ratio() >= TARGET ? "PASS" : "MISS");
        return t.render();
    }

    private static String rates(List<Double> rates) {
        List<String> s = new ArrayList<>();
        for (double d : rates) {
            s.add(String.format("%,.0f", d));
        }
        return String.join(" / ", s);
    }
}
