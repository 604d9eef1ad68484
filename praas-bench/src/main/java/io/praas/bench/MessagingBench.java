package io.praas.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.client.ProcessClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Process-to-process exchange, in one run on one control-plane node with eight processes of the
 * samples application:
 * <ul>
 *   <li>ping-pong between two processes ({@code pingPong} sample) at 10 B, 1 KiB, 100 KiB and
 *       1 MiB: PraaS messaging vs the same exchange through the node's S3-compatible store (PUT,
 *       GET polled every 5 ms) vs Redis (RPUSH/BLPOP on a redis-server this benchmark starts on
 *       loopback), and a plain TCP socket between the same two processes, the floor of any way;</li>
 *   <li>k-means epochs ({@code kmeans} sample) over 4 and 8 processes with the same three ways of
 *       summing the per-process partial sums.</li>
 * </ul>
 * Redis is Debian's {@code redis-server}; without it the Redis columns say so.
 */
final class MessagingBench {
    static final String NAME = "messaging";
    static final String APP = "msgbench";
    static final double S3_TARGET = 10;
    static final double REDIS_TARGET = 2;
    static final List<Integer> SIZES = List.of(10, 1024, 100 * 1024, 1024 * 1024);
    static final List<String> VIAS = List.of("messaging", "s3", "redis");
    static final int PROCESSES = 8;
    static final int KMEANS_POINTS = 20_000;
    static final int KMEANS_DIMS = 8;
    static final int KMEANS_K = 8;
    /** Measured epochs per run: the last ones of the run, after {@link #kmeansWarmupEpochs}. */
    static int kmeansEpochs(String via) {
        return via.equals("s3") ? 20 : 100;
    }

    /** Unmeasured epochs at the start of each measured run (the same invocation). */
    static int kmeansWarmupEpochs(String via) {
        return via.equals("s3") ? 10 : 200;
    }

    /**
     * Epochs per way and group size over one point per process before the measured runs: the
     * exchange code's JIT (a measured run's few hundred epochs leave it half-compiled, and 4 or 8
     * JVMs compiling at once share this machine's 2 cores with the measurement).
     */
    static int kmeansJitEpochs(String via) {
        return via.equals("s3") ? 20 : 3000;
    }

    /** Round trips of one exchange, in microseconds. */
    record Ping(String via, int size, List<Double> micros) {
        double p50() {
            return Stats.percentile(micros, 0.5);
        }

        double p99() {
            return Stats.percentile(micros, 0.99);
        }
    }

    /** Epoch times of one k-means run (slowest member per epoch), in milliseconds. */
    record Epochs(String via, int processes, List<Double> millis, List<Double> stepMillis) {
        double stepP50() {
            return Stats.percentile(stepMillis, 0.5);
        }

        double p50() {
            return Stats.percentile(millis, 0.5);
        }

        /** Both runs' epochs together. */
        Epochs plus(Epochs other) {
            List<Double> m = new ArrayList<>(millis);
            m.addAll(other.millis);
            List<Double> st = new ArrayList<>(stepMillis);
            st.addAll(other.stepMillis);
            return new Epochs(via, processes, m, st);
        }

        double p99() {
            return Stats.percentile(millis, 0.99);
        }
    }

    record Result(List<Ping> pings, List<Epochs> epochs, boolean redis) {
        Ping ping(String via, int size) {
            return pings.stream().filter(p -> p.via.equals(via) && p.size == size).findFirst().orElse(null);
        }

        Epochs epochs(String via, int n) {
            return epochs.stream().filter(e -> e.via.equals(via) && e.processes == n).findFirst().orElse(null);
        }
    }

    private final BenchOptions options;
    private final Path samplesJar;

    MessagingBench(BenchOptions options, Path samplesJar) {
        this.options = options;
        this.samplesJar = samplesJar;
    }

    Result run() throws Exception {
        try (RedisServer redis = RedisServer.start();
             BenchControlPlane cp = BenchControlPlane.start(NAME, 8192, options.keepData())) {
            cp.deploy(APP, Files.readAllBytes(samplesJar), Map.of(
                    "resources", Map.of("vcpu", 1, "memoryMiB", 384),
                    "limits", Map.of("maxProcesses", PROCESSES)));
            List<ProcessClient> clients = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            try {
                for (int i = 0; i < PROCESSES; i++) {
                    String id = "k-" + i;
                    JsonNode p = cp.post("/v1/applications/" + APP + "/processes", Map.of("name", id))
                            .expect(201, "create " + id).json();
                    ids.add(id);
                    clients.add(cp.connect(p, Duration.ofMinutes(10)));
                }
                cp.awaitStandbys(); // none warms up during the measurements
                List<String> pushVias = redis == null ? List.of("messaging", "tcp") : List.of("messaging", "redis", "tcp");
                // Both processes' JIT first, unmeasured, on the paths every size takes.
                for (String via : pushVias) {
                    Bench.progress("messaging: warming up %s", via);
                    pingPong(clients, ids, via, 1024, redis, JIT_WARMUP_ROUNDS, 1);
                }
                List<Ping> pings = new ArrayList<>();
                for (int size : SIZES) {
                    // PraaS, Redis and raw TCP in alternating blocks (ABBA), so drift of the machine hits each.
                    Map<String, List<Double>> micros = new HashMap<>();
                    for (String via : thereAndBack(pushVias)) {
                        Bench.progress("messaging: ping-pong %s %d B (block)", via, size);
                        Ping block = pingPong(clients, ids, via, size, redis, warmupRounds(via, size), rounds(via, size) / 2);
                        micros.computeIfAbsent(via, v -> new ArrayList<>()).addAll(block.micros());
                    }
                    micros.forEach((via, m) -> pings.add(new Ping(via, size, m)));
                }
                // S3 last: the store runs in this JVM, and the work it leaves (collections, deletes)
                // would land on the blocks after it.
                for (int size : SIZES) {
                    Bench.progress("messaging: ping-pong s3 %d B", size);
                    pings.add(pingPong(clients, ids, "s3", size, redis, warmupRounds("s3", size), rounds("s3", size)));
                }
                List<Epochs> epochs = new ArrayList<>();
                load(clients, 1);
                for (int n : List.of(4, 8)) {
                    for (String via : VIAS) {
                        if (!via.equals("redis") || redis != null) {
                            Bench.progress("messaging: k-means JIT warm-up, %d processes %s", n, via);
                            kmeansRun(clients.subList(0, n), ids.subList(0, n), via, redis, kmeansJitEpochs(via), 0);
                        }
                    }
                }
                load(clients, KMEANS_POINTS);
                for (int n : List.of(4, 8)) {
                    // One unmeasured run per way on the real shards (the JIT of the local step); then
                    // PraaS and Redis alternate in two measured runs each (ABBA), so drift hits both,
                    // and S3's two runs come last (the store in this JVM leaves work behind it).
                    for (String via : VIAS) {
                        if (!via.equals("redis") || redis != null) {
                            Bench.progress("messaging: k-means warm-up on the shards, %d processes %s", n, via);
                            kmeansRun(clients.subList(0, n), ids.subList(0, n), via, redis, kmeansWarmupEpochs(via), 0);
                        }
                    }
                    List<String> order = new ArrayList<>(thereAndBack(redis == null ? List.of("messaging")
                            : List.of("messaging", "redis")));
                    order.addAll(List.of("s3", "s3"));
                    Map<String, Epochs> pooled = new java.util.LinkedHashMap<>();
                    for (String via : order) {
                        Bench.progress("messaging: k-means %d processes %s (run)", n, via);
                        pooled.merge(via, kmeans(clients.subList(0, n), ids.subList(0, n), via, redis), Epochs::plus);
                    }
                    epochs.addAll(pooled.values());
                }
                return new Result(pings, epochs, redis != null);
            } finally {
                clients.forEach(ProcessClient::close);
            }
        }
    }

    /** {@code ways} then the same in reverse (ABBA): blocks alternate so drift hits each way alike. */
    static List<String> thereAndBack(List<String> ways) {
        List<String> order = new ArrayList<>(ways);
        for (int i = ways.size() - 1; i >= 0; i--) {
            order.add(ways.get(i));
        }
        return order;
    }

    static int rounds(String via, int size) {
        if (via.equals("s3")) {
            return size >= 1024 * 1024 ? 40 : 150;
        }
        return size >= 1024 * 1024 ? 200 : 5000;
    }

    /** Unmeasured rounds before the measured ones of each block. */
    static int warmupRounds(String via, int size) {
        if (via.equals("s3")) {
            return size >= 1024 * 1024 ? 5 : 20;
        }
        return size >= 1024 * 1024 ? 20 : 500;
    }

    /** Unmeasured rounds per way before everything: the JIT of both processes and of the Redis client. */
    static final int JIT_WARMUP_ROUNDS = 20_000;

    private Ping pingPong(List<ProcessClient> clients, List<String> ids, String via, int size, RedisServer redis,
                          int warmup, int rounds) throws Exception {
        String run = via + "-" + size + "-" + System.nanoTime();
        Map<String, Object> common = new HashMap<>();
        common.put("size", size);
        common.put("warmup", warmup);
        common.put("rounds", rounds);
        common.put("via", via);
        common.put("run", run);
        common.put("redis", redis == null ? "" : redis.address());
        common.put("tcpPort", via.equals("tcp") ? freePort() : 0);
        Map<String, Object> pong = new HashMap<>(common);
        pong.put("role", "pong");
        pong.put("peer", ids.get(0));
        Map<String, Object> ping = new HashMap<>(common);
        ping.put("role", "ping");
        ping.put("peer", ids.get(1));
        Duration timeout = Duration.ofMinutes(10);
        CompletableFuture<byte[]> ponger = clients.get(1).invokeAsync("pingPong", "", json(pong), timeout);
        byte[] out = clients.get(0).invokeAsync("pingPong", "", json(ping), timeout).get(11, TimeUnit.MINUTES);
        ponger.get(1, TimeUnit.MINUTES);
        List<Double> micros = new ArrayList<>();
        for (JsonNode n : BenchControlPlane.JSON.readTree(out).path("nanos")) {
            micros.add(n.asLong() / 1000.0);
        }
        return new Ping(via, size, micros);
    }

    /** A loopback port nobody listens on now, for the pong side of a raw TCP exchange to listen on. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void load(List<ProcessClient> clients, int points) throws Exception {
        for (ProcessClient c : clients) {
            c.invoke("kmeansLoad", json(Map.of("points", points, "dims", KMEANS_DIMS, "k", KMEANS_K, "seed", 42)));
        }
    }

    private Epochs kmeans(List<ProcessClient> clients, List<String> ids, String via, RedisServer redis) throws Exception {
        double[][] run = kmeansRun(clients, ids, via, redis, kmeansWarmupEpochs(via) + kmeansEpochs(via),
                kmeansWarmupEpochs(via));
        List<Double> measured = new ArrayList<>();
        List<Double> steps = new ArrayList<>();
        for (int e = 0; e < run[0].length; e++) {
            measured.add(run[0][e]);
            steps.add(run[1][e]);
        }
        return new Epochs(via, ids.size(), measured, steps);
    }

    /**
     * One run on every member at once: per epoch after the first {@code unmeasured}, the slowest
     * member's time and the slowest member's local step, in ms.
     */
    private double[][] kmeansRun(List<ProcessClient> clients, List<String> ids, String via, RedisServer redis, int epochs,
                                 int unmeasured) throws Exception {
        String run = "km-" + via + "-" + ids.size() + "-" + System.nanoTime();
        List<CompletableFuture<byte[]>> calls = new ArrayList<>();
        for (ProcessClient c : clients) {
            Map<String, Object> req = new HashMap<>();
            req.put("group", ids);
            req.put("k", KMEANS_K);
            req.put("epochs", epochs);
            req.put("via", via);
            req.put("run", run);
            req.put("redis", redis == null ? "" : redis.address());
            req.put("seed", 42);
            calls.add(c.invokeAsync("kmeans", "", json(req), Duration.ofMinutes(10)));
        }
        double[] slowest = new double[epochs - unmeasured];
        double[] slowestStep = new double[epochs - unmeasured];
        String centroids = null;
        for (CompletableFuture<byte[]> call : calls) {
            JsonNode r = BenchControlPlane.JSON.readTree(call.get(11, TimeUnit.MINUTES));
            JsonNode nanos = r.path("epochNanos");
            for (int e = 0; e < slowest.length; e++) {
                slowest[e] = Math.max(slowest[e], nanos.get(unmeasured + e).asLong() / 1e6);
                slowestStep[e] = Math.max(slowestStep[e], r.path("stepNanos").get(unmeasured + e).asLong() / 1e6);
            }
            String c = r.path("centroids").toString();
            if (centroids != null && !centroids.equals(c)) {
                throw new IllegalStateException("k-means over " + via + ": members disagree on the centroids");
            }
            centroids = c;
        }
        return new double[][] {slowest, slowestStep};
    }

    private static byte[] json(Object value) {
        try {
            return BenchControlPlane.JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pingTable(Result r) {
        MarkdownTable t = new MarkdownTable("payload", "PraaS p50", "PraaS p99", "S3 p50", "S3 p99", "Redis p50",
                "Redis p99", "raw TCP p50", "raw TCP p99", "S3 / PraaS (p50)", "Redis / PraaS (p50)",
                "PraaS / raw TCP (p50)", "Redis / raw TCP (p50)", "target (1 KiB)");
        for (int size : SIZES) {
            Ping m = r.ping("messaging", size);
            Ping s = r.ping("s3", size);
            Ping d = r.ping("redis", size);
            Ping tcp = r.ping("tcp", size);
            double vsS3 = s.p50() / m.p50();
            double vsRedis = d == null ? Double.NaN : d.p50() / m.p50();
            String target = size != 1024 ? "" : (vsS3 >= S3_TARGET ? "PASS" : "MISS") + " (>= " + S3_TARGET + "x S3), "
                    + (d == null ? "n/a (no redis-server)" : (vsRedis >= REDIS_TARGET ? "PASS" : "MISS") + " (>= "
                    + REDIS_TARGET + "x Redis)");
            t.row(BenchOptions.humanBytes(size), us(m.p50()), us(m.p99()), us(s.p50()), us(s.p99()),
                    d == null ? "-" : us(d.p50()), d == null ? "-" : us(d.p99()), us(tcp.p50()), us(tcp.p99()),
                    Stats.ratio(vsS3), Stats.ratio(vsRedis), Stats.ratio(m.p50() / tcp.p50()),
                    d == null ? "-" : Stats.ratio(d.p50() / tcp.p50()), target);
        }
        return t.render();
    }

    static String kmeansTable(Result r) {
        MarkdownTable t = new MarkdownTable("processes", "PraaS epoch p50", "p99", "S3 epoch p50", "p99",
                "Redis epoch p50", "p99", "local step p50 (PraaS / S3 / Redis runs)", "S3 / PraaS", "Redis / PraaS",
                "target");
        for (int n : List.of(4, 8)) {
            Epochs m = r.epochs("messaging", n);
            Epochs s = r.epochs("s3", n);
            Epochs d = r.epochs("redis", n);
            double vsS3 = s.p50() / m.p50();
            t.row(n, Stats.ms(m.p50()) + " ms", Stats.ms(m.p99()), Stats.ms(s.p50()) + " ms", Stats.ms(s.p99()),
                    d == null ? "-" : Stats.ms(d.p50()) + " ms", d == null ? "-" : Stats.ms(d.p99()),
                    Stats.ms(m.stepP50()) + " / " + Stats.ms(s.stepP50()) + " / " + (d == null ? "-" : Stats.ms(d.stepP50()))
                            + " ms", Stats.ratio(vsS3),
                    d == null ? "-" : Stats.ratio(d.p50() / m.p50()),
                    (vsS3 >= S3_TARGET ? "PASS" : "MISS") + " (>= " + S3_TARGET + "x S3)");
        }
        return t.render();
    }

    static int misses(Result r) {
        int misses = 0;
        Ping m = r.ping("messaging", 1024);
        misses += r.ping("s3", 1024).p50() / m.p50() >= S3_TARGET ? 0 : 1;
        Ping d = r.ping("redis", 1024);
        misses += d == null || d.p50() / m.p50() >= REDIS_TARGET ? 0 : 1;
        for (int n : List.of(4, 8)) {
            misses += r.epochs("s3", n).p50() / r.epochs("messaging", n).p50() >= S3_TARGET ? 0 : 1;
        }
        return misses;
    }

    private static String us(double micros) {
        return micros >= 1000 ? Stats.ms(micros / 1000) + " ms" : String.format("%.0f us", micros);
    }

    /** Debian's redis-server on a free loopback port, without persistence; null when it is not installed. */
    static final class RedisServer implements AutoCloseable {
        private final Process process;
        private final int port;

        private RedisServer(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        static RedisServer start() throws Exception {
            Path binary = Path.of("/usr/bin/redis-server");
            if (!Files.isExecutable(binary)) {
                Bench.progress("messaging: no %s (apt-get install redis-server): the Redis baseline is left out", binary);
                return null;
            }
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Process p = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--protected-mode", "yes")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    return new RedisServer(p, port);
                } catch (IOException e) {
                    Thread.sleep(50);
                }
            }
            p.destroyForcibly();
            throw new IllegalStateException("redis-server did not listen on port " + port + " within 10 s");
        }

        String address() {
            return "127.0.0.1:" + port;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
