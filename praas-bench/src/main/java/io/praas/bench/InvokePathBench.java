package io.praas.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.client.ProcessClient;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * A 1 KiB echo invoke over the data plane ({@code ProcessClient.invoke("echo")} straight to the
 * process) against the same invoke through the control plane's HTTP API ({@code POST
 * /v1/applications/samples/functions/echo/invoke?process=<id>}, {@code java.net.http.HttpClient}
 * over one reused HTTP/1.1 connection), in one run: one control-plane node in this JVM, one process
 * of the samples application, both clients in this JVM, warmed up, measured in alternating blocks
 * (ABBA).
 */
final class InvokePathBench {
    static final String NAME = "invoke-path";
    /** The data plane is at least this many times faster at p50. */
    static final double TARGET = 3.0;
    static final int SIZE = 1024;
    private static final String APP = "samples";

    /** One call; throws if the answer is wrong. */
    @FunctionalInterface
    interface Call {
        void run();
    }

    /** One row: the data plane against another path; ratios are the other path over the data plane. */
    record Row(String path, String payload, Summary dataPlane, Summary other, boolean info, boolean truncated) {
        double ratio(ToDoubleFunction<Summary> f) {
            return f.applyAsDouble(other) / f.applyAsDouble(dataPlane);
        }

        boolean pass() {
            return ratio(Summary::p50) >= TARGET;
        }
    }

    private final BenchOptions options;
    private final Path samplesJar;

    InvokePathBench(BenchOptions options, Path samplesJar) {
        this.options = options;
        this.samplesJar = samplesJar;
    }

    List<Row> run() throws Exception {
        List<Row> rows = new ArrayList<>();
        Bench.progress("invoke-path: starting a control-plane node in this JVM and one process of samples");
        try (BenchControlPlane cp = BenchControlPlane.start(NAME, 4096, options.keepData())) {
            cp.deploy(APP, Files.readAllBytes(samplesJar), Map.of("resources", Map.of("vcpu", 1, "memoryMiB", 512)));
            JsonNode process = cp.createProcess(APP).json();
            String id = process.path("id").asText();
            Bench.progress("invoke-path: control plane at %s, process %s at %s:%d", cp.apiUrl(), id,
                    process.path("endpoint").path("host").asText(), process.path("endpoint").path("port").asInt());
            cp.awaitStandbys(); // none warms up during the measurements
            byte[] payload = new byte[SIZE];
            new SplittableRandom(SIZE).nextBytes(payload);
            try (ProcessClient client = cp.connect(process, Duration.ofSeconds(30))) {
                HttpRequest invoke = cp.request("/v1/applications/" + APP + "/functions/echo/invoke?process=" + id)
                        .header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
                HttpRequest health = cp.request("/v1/health").GET().build();
                Call direct = () -> LatencyBench.checkEcho(client.invoke("echo", payload), payload);
                Call viaControlPlane = () -> {
                    BenchControlPlane.Reply r = cp.send(invoke);
                    if (r.status() != 200) {
                        throw new IllegalStateException("invoke through the control plane: HTTP " + r.status() + " " + r.text());
                    }
                    LatencyBench.checkEcho(r.body(), payload);
                };
                Call healthGet = () -> {
                    BenchControlPlane.Reply r = cp.send(health);
                    if (r.status() != 200) {
                        throw new IllegalStateException("GET /v1/health: HTTP " + r.status() + " " + r.text());
                    }
                };
                // Every path is compiled before the first measured block.
                for (int i = 0; i < Math.max(1, options.pathWarmup() / 4); i++) {
                    direct.run();
                    viaControlPlane.run();
                    healthGet.run();
                }
                rows.add(measure("echo via control-plane HTTP", BenchOptions.humanBytes(SIZE), direct, viaControlPlane, false));
                // The HTTP floor of the control plane: a GET answered without any invoke.
                rows.add(measure("GET /v1/health (no invoke)", "- (echo 1 KiB)", direct, healthGet, true));
            }
        }
        return rows;
    }

    private Row measure(String path, String payload, Call dataPlane, Call other, boolean info) {
        int iterations = options.pathIterations();
        long started = System.nanoTime();
        long deadline = started + options.caseTimeoutSec() * 1_000_000_000L;
        for (int i = 0; i < options.pathWarmup() && System.nanoTime() < deadline; i++) {
            dataPlane.run();
            other.run();
        }
        System.gc();
        long[] dpNs = new long[iterations];
        long[] otherNs = new long[iterations];
        int dpN = 0;
        int otherN = 0;
        int rounds = Math.min(options.rounds(), iterations);
        boolean truncated = false;
        for (int r = 0; r < rounds; r++) {
            int block = iterations / rounds + (r < iterations % rounds ? 1 : 0);
            if (r % 2 == 0) {
                dpN += timeBlock(dataPlane, dpNs, dpN, block, deadline);
                otherN += timeBlock(other, otherNs, otherN, block, deadline);
            } else {
                otherN += timeBlock(other, otherNs, otherN, block, deadline);
                dpN += timeBlock(dataPlane, dpNs, dpN, block, deadline);
            }
            if (System.nanoTime() >= deadline) {
                truncated = r < rounds - 1 || dpN < iterations || otherN < iterations;
                break;
            }
        }
        Row row = new Row(path, payload, Summary.of(dpNs, dpN), Summary.of(otherNs, otherN), info, truncated);
        Bench.progress("invoke-path: %-28s %,6d + %,6d calls in %4.1f s: p50 data plane %s us, other %s us (%.2fx)%s",
                path, dpN, otherN, (System.nanoTime() - started) / 1e9, Summary.micros(row.dataPlane().p50()),
                Summary.micros(row.other().p50()), row.ratio(Summary::p50),
                truncated ? " (stopped at --case-timeout)" : "");
        return row;
    }

    private static int timeBlock(Call call, long[] samples, int from, int count, long deadline) {
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            call.run();
            long t1 = System.nanoTime();
            samples[from + i] = t1 - t0;
            if (t1 >= deadline) {
                return i + 1;
            }
        }
        return count;
    }

    static String table(List<Row> rows) {
        MarkdownTable t = new MarkdownTable("path", "payload", "n", "data plane p50 us", "other p50 us", "p50 ratio",
                "data plane p99 us", "other p99 us", "p99 ratio", "data plane mean us", "other mean us", "mean ratio",
                "target", "result");
        for (Row r : rows) {
            t.row(r.path(), r.payload(), String.format("%,d%s", r.dataPlane().count(), r.truncated() ? "*" : ""),
                    Summary.micros(r.dataPlane().p50()), Summary.micros(r.other().p50()),
                    String.format("%.2fx", r.ratio(Summary::p50)),
                    Summary.micros(r.dataPlane().p99()), Summary.micros(r.other().p99()),
                    String.format("%.2fx", r.ratio(Summary::p99)),
                    Summary.micros(r.dataPlane().mean()), Summary.micros(r.other().mean()),
                    String.format("%.2fx", r.ratio(Summary::mean)),
                    r.info() ? "-" : "p50 ratio >= 3x", r.info() ? "info" : r.pass() ? "PASS" : "MISS");
        }
        return t.render();
    }
}
