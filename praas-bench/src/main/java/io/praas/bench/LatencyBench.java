package io.praas.bench;

import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.process.launch.LocalProcess;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Echo invoke latency over the PraaS data plane against a raw blocking Java TCP echo over
 * loopback, in one run. Both servers are separate JVMs started the same way, both clients live in
 * this JVM and reuse one connection, both are warmed up, and each case alternates blocks of the
 * two (ABBA order) so that drift of the machine hits both alike.
 */
final class LatencyBench {
    static final String NAME = "latency";
    static final double P50_TARGET = 1.5;
    static final double P99_TARGET = 3.0;
    /** Payload of the information rows (session invoke, ping). */
    private static final int INFO_ROW_SIZE = 1024;

    /** One echo round trip; returns the echoed bytes. */
    @FunctionalInterface
    interface RoundTrip {
        byte[] echo(byte[] payload);
    }

    /** One row: a PraaS path and the baseline at one payload size. */
    record Row(String path, int size, Summary praas, Summary baseline, boolean info, boolean truncated) {
        /** PraaS divided by the baseline, for one statistic. */
        double ratio(ToDoubleFunction<Summary> f) {
            return f.applyAsDouble(praas) / f.applyAsDouble(baseline);
        }

        boolean pass() {
            return ratio(Summary::p50) <= P50_TARGET && ratio(Summary::p99) <= P99_TARGET;
        }
    }

    private final BenchOptions options;
    private final Path samplesJar;
    private boolean pinned;

    LatencyBench(BenchOptions options, Path samplesJar) {
        this.options = options;
        this.samplesJar = samplesJar;
    }

    /** Runs every case; returns the rows (servers are stopped when this returns or throws). */
    List<Row> run() {
        List<Row> rows = new ArrayList<>();
        String noPinning = options.pin() ? CpuPinning.unavailableReason() : "--no-pin";
        boolean pinned = noPinning == null;
        if (pinned) {
            Bench.progress("latency: client on core 0, both servers on core 1 (--no-pin to leave it to the kernel)");
        } else {
            Bench.progress("latency: not pinned to cores (%s)", noPinning);
        }
        long self = ProcessHandle.current().pid();
        String before = pinned ? CpuPinning.mask(self) : null;
        try {
            measureAll(rows, pinned);
        } finally {
            if (pinned) {
                CpuPinning.restore(self, before); // the benchmarks after this one run unpinned
            }
        }
        this.pinned = pinned;
        return rows;
    }

    /** Whether the last {@link #run} pinned client and servers to cores. */
    boolean pinned() {
        return pinned;
    }

    private void measureAll(List<Row> rows, boolean pinned) {
        Bench.progress("latency: starting a PraaS process and the raw TCP echo server (separate JVMs)");
        try (LocalProcess praas = LocalProcess.builder(samplesJar).arg("--dev", "--application", "samples").start()) {
            ServerJvm.track(praas);
            try (ServerJvm raw = ServerJvm.start(RawTcpEchoServer.class);
                 ProcessClient client = ProcessClient.builder().address("127.0.0.1", praas.port())
                         .application("samples").connect();
                 RawTcpEchoClient rawClient = new RawTcpEchoClient("127.0.0.1", raw.port())) {
                if (pinned) {
                    CpuPinning.pin(praas.pid(), "1");
                    CpuPinning.pin(raw.pid(), "1");
                    CpuPinning.pin(ProcessHandle.current().pid(), "0");
                }
                Bench.progress("latency: PraaS process pid %d port %d, raw echo pid %d port %d",
                        praas.pid(), praas.port(), raw.pid(), raw.port());
                ProcessSession session = client.openSession();
                RoundTrip direct = p -> client.invoke("echo", p);
                RoundTrip inSession = p -> session.invoke("echo", p);
                RoundTrip ping = client::ping;
                RoundTrip baseline = rawClient::echo;
                // Every code path (every size, both PraaS paths) is compiled before the first case.
                for (int size : options.sizes()) {
                    byte[] p = payload(size);
                    int n = Math.max(1, options.warmupFor(size) / 4);
                    for (int i = 0; i < n; i++) {
                        checkEcho(direct.echo(p), p);
                        checkEcho(inSession.echo(p), p);
                        checkEcho(ping.echo(p), p);
                        checkEcho(baseline.echo(p), p);
                    }
                }
                for (int size : options.sizes()) {
                    rows.add(measure("direct invoke", size, direct, baseline, false));
                }
                rows.add(measure("session invoke", INFO_ROW_SIZE, inSession, baseline, true));
                // PING is answered on the process's event loop: the data plane without the worker hand-off or a function.
                rows.add(measure("ping", INFO_ROW_SIZE, ping, baseline, true));
                session.close();
            } catch (RuntimeException e) {
                System.err.println("PraaS process log:\n" + praas.log());
                throw e;
            }
        }
    }

    private Row measure(String path, int size, RoundTrip praas, RoundTrip baseline, boolean info) {
        byte[] payload = payload(size);
        int iterations = options.iterationsFor(size);
        int warmup = options.warmupFor(size);
        long started = System.nanoTime();
        long deadline = started + options.caseTimeoutSec() * 1_000_000_000L;
        for (int i = 0; i < warmup && System.nanoTime() < deadline; i++) {
            checkEcho(praas.echo(payload), payload);
            checkEcho(baseline.echo(payload), payload);
        }
        System.gc();
        long[] praasNs = new long[iterations];
        long[] baselineNs = new long[iterations];
        int praasN = 0;
        int baselineN = 0;
        int rounds = Math.min(options.rounds(), iterations);
        boolean truncated = false;
        for (int r = 0; r < rounds; r++) {
            int block = iterations / rounds + (r < iterations % rounds ? 1 : 0);
            // ABBA: the side that runs first alternates, so neither always follows the other.
            if (r % 2 == 0) {
                praasN += timeBlock(praas, payload, praasNs, praasN, block, deadline);
                baselineN += timeBlock(baseline, payload, baselineNs, baselineN, block, deadline);
            } else {
                baselineN += timeBlock(baseline, payload, baselineNs, baselineN, block, deadline);
                praasN += timeBlock(praas, payload, praasNs, praasN, block, deadline);
            }
            if (System.nanoTime() >= deadline) {
                truncated = r < rounds - 1 || praasN < iterations || baselineN < iterations;
                break;
            }
        }
        Row row = new Row(path, size, Summary.of(praasNs, praasN), Summary.of(baselineNs, baselineN), info, truncated);
        Bench.progress("latency: %-14s %7s  %,6d + %,6d round trips in %4.1f s: p50 %s vs %s us%s", path,
                BenchOptions.humanBytes(size), praasN, baselineN, (System.nanoTime() - started) / 1e9,
                Summary.micros(row.praas().p50()), Summary.micros(row.baseline().p50()),
                truncated ? " (stopped at --case-timeout)" : "");
        return row;
    }

    /** Times up to {@code count} round trips into {@code samples} from {@code from}; returns how many ran. */
    private static int timeBlock(RoundTrip rt, byte[] payload, long[] samples, int from, int count, long deadline) {
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            byte[] answer = rt.echo(payload);
            long t1 = System.nanoTime();
            samples[from + i] = t1 - t0;
            checkEcho(answer, payload);
            if (t1 >= deadline) {
                return i + 1;
            }
        }
        return count;
    }

    /** Throws when an echo did not return what was sent. */
    static void checkEcho(byte[] answer, byte[] payload) {
        if (!Arrays.equals(answer, payload)) {
            throw new IllegalStateException("echo returned " + answer.length + " bytes that differ from the "
                    + payload.length + " sent");
        }
    }

    private static byte[] payload(int size) {
        byte[] b = new byte[size];
        new SplittableRandom(size).nextBytes(b);
        return b;
    }

    static String table(List<Row> rows) {
        MarkdownTable t = new MarkdownTable("path", "payload", "n", "PraaS p50 us", "raw p50 us", "p50 ratio",
                "PraaS p99 us", "raw p99 us", "p99 ratio", "PraaS mean us", "raw mean us", "mean ratio",
                "target", "result");
        // info rows are measured like the others but have no target of their own
        for (Row r : rows) {
            String result = r.info() ? "info" : r.pass() ? "PASS" : "MISS";
            if (!r.info() && !r.pass()) {
                List<String> missed = new ArrayList<>();
                if (r.ratio(Summary::p50) > P50_TARGET) {
                    missed.add("p50");
                }
                if (r.ratio(Summary::p99) > P99_TARGET) {
                    missed.add("p99");
                }
                result += " (" + String.join(", ", missed) + ")";
            }
            t.row(r.path(), BenchOptions.humanBytes(r.size()),
                    String.format("%,d%s", r.praas().count(), r.truncated() ? "*" : ""),
                    Summary.micros(r.praas().p50()), Summary.micros(r.baseline().p50()),
                    String.format("%.2fx", r.ratio(Summary::p50)),
                    Summary.micros(r.praas().p99()), Summary.micros(r.baseline().p99()),
                    String.format("%.2fx", r.ratio(Summary::p99)),
                    Summary.micros(r.praas().mean()), Summary.micros(r.baseline().mean()),
                    String.format("%.2fx", r.ratio(Summary::mean)),
                    r.info() ? "-" : "p50 <= 1.5x, p99 <= 3x", result);
        }
        return t.render();
    }
}
