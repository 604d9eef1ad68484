package io.praas.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.client.ProcessClient;
import io.praas.process.swap.SwapSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Swap-out and swap-in of a process holding 1 / 100 / 1000 MiB of state against a plain multipart
 * upload and a ranged-GET download of as many bytes to the same object store, in one run: one
 * control-plane node in this JVM (its embedded S3Proxy is the store), one process of the
 * benchmark's own application per size ({@link BenchApp}: {@code fill} puts random bytes into process
 * state in 1 MiB values), and a {@link RawTransfer} with the client settings, part size and
 * parallelism the process uses. Each size runs a few cycles; within a cycle the PraaS operation
 * and the baseline alternate which goes first; medians count.
 *
 * <p>Swap-out time is the wall time of {@code POST .../swap} (GOAWAY, drain, snapshot, answer),
 * next to the process's own {@code durationMs} (snapshot encoding, checksums, upload, manifest).
 * Swap-in time is the wall time of {@code POST .../swapin}, which starts the process (on a standby
 * JVM of the local backend, or a new one), next to the
 * restore alone as the process logs it.
 */
final class SwapBench {
    static final String NAME = "swap";
    static final double TARGET = 1.3;
    static final String APP = "swapbench";
    private static final int MIB = 1024 * 1024;
    /** State is filled in invocations of at most this many bytes. */
    private static final long FILL_CHUNK = 64L * MIB;
    /** Swap-outs tried per step before the size is given up. */
    private static final int SWAP_OUT_ATTEMPTS = 3;

    /** One operation at one size: every run of each side, in milliseconds. */
    record Row(String operation, int size, long snapshotBytes, List<Double> wall, List<Double> processSide,
               List<Double> raw, List<String> failures, String error) {
        double wallMedian() {
            return Stats.median(wall);
        }

        double processMedian() {
            return Stats.median(processSide);
        }

        double rawMedian() {
            return Stats.median(raw);
        }

        double ratio() {
            return wallMedian() / rawMedian();
        }

        double processRatio() {
            return processMedian() / rawMedian();
        }

        boolean pass() {
            return error == null && ratio() <= TARGET;
        }
    }

    /** The rows and the median phases of the swap-ins of each size. */
    record Result(List<Row> rows, Map<Integer, StartPhases> swapInPhases, int memoryMiB, int stateLimitMiB, int vcpu) {
    }

    private final BenchOptions options;

    SwapBench(BenchOptions options) {
        this.options = options;
    }

    Result run() throws Exception {
        int largestMiB = options.swapSizes().stream().mapToInt(s -> (s + MIB - 1) / MIB).max().orElse(1);
        // Heap (75% of memory on the local backend) for the state, its restore and room to spare. Each
        // 1 MiB value (a byte[] just over 1 MiB) is a G1 humongous object that takes a whole 2 MiB
        // region, so the state takes twice its size in heap: 1000 MiB of state in a 2304 MiB heap
        // (3072 MiB of memory) ran out of heap during a swap-out.
        int memoryMiB = Math.max(512, roundUp(4 * largestMiB + 1024, 256));
        int stateLimitMiB = Math.max(256, largestMiB + largestMiB / 10 + 16);
        int vcpu = Runtime.getRuntime().availableProcessors();
        List<Row> rows = new ArrayList<>();
        Map<Integer, StartPhases> phases = new java.util.LinkedHashMap<>();
        Bench.progress("swap: starting a control-plane node in this JVM (processes of %d MiB, %d vCPU, state limit %d MiB)",
                memoryMiB, vcpu, stateLimitMiB);
        try (BenchControlPlane cp = BenchControlPlane.start(NAME, Math.max(6144, memoryMiB), options.keepData(), options.standbyJvms());
             RawTransfer raw = new RawTransfer(cp.storeSettings(), SwapSettings.DEFAULT_PART_SIZE,
                     SwapSettings.DEFAULT_PARALLELISM)) {
            cp.deploy(APP, BenchApp.jar(), Map.of("resources", Map.of("vcpu", vcpu, "memoryMiB", memoryMiB),
                    "limits", Map.of("maxProcesses", 1, "stateLimitMiB", stateLimitMiB)));
            for (int size : options.swapSizes()) {
                Size s = new Size(size);
                try {
                    s.run(cp, raw);
                } catch (Exception | OutOfMemoryError e) {
                    s.error = e.toString();
                    Bench.progress("swap: %s failed: %s", BenchOptions.humanBytes(size), e);
                } finally {
                    s.cleanUp(cp);
                }
                rows.add(new Row("swap-out", size, s.snapshotBytes, s.outWall, s.outProcess, s.upload, s.failures, s.error));
                rows.add(new Row("swap-in", size, s.snapshotBytes, s.inWall, s.inRestore, s.download, List.of(), s.error));
                if (!s.inPhases.isEmpty()) {
                    phases.put(size, StartPhases.median(s.inPhases));
                }
            }
        }
        return new Result(rows, phases, memoryMiB, stateLimitMiB, vcpu);
    }

    /** The cycles of one state size. */
    private final class Size {
        final int size;
        final List<Double> outWall = new ArrayList<>();
        final List<Double> outProcess = new ArrayList<>();
        final List<Double> upload = new ArrayList<>();
        final List<Double> inWall = new ArrayList<>();
        final List<Double> inRestore = new ArrayList<>();
        final List<Double> download = new ArrayList<>();
        final List<StartPhases> inPhases = new ArrayList<>();
        /** Swap-outs that did not answer SWAPPED_OUT (the process was replaced, refilled and swapped out again). */
        final List<String> failures = new ArrayList<>();
        long snapshotBytes;
        long stateBytes;
        String id;
        String error;
        String rawKey;

        Size(int size) {
            this.size = size;
        }

        void run(BenchControlPlane cp, RawTransfer raw) throws Exception {
            String label = BenchOptions.humanBytes(size);
            rawKey = "bench/raw-" + size;
            createAndFill(cp);
            int repeats = options.swapRepeatsFor(size);
            for (int r = 0; r < repeats; r++) {
                // The PraaS side goes first in even cycles (and in the first: it gives the snapshot's size).
                boolean praasFirst = r % 2 == 0;
                if (praasFirst) {
                    swapOut(cp);
                    upload(cp, raw);
                    swapIn(cp);
                    download(cp, raw);
                } else {
                    upload(cp, raw);
                    swapOut(cp);
                    download(cp, raw);
                    swapIn(cp);
                }
                raw.delete(rawKey);
                Bench.progress("swap: %s cycle %d/%d: out %s ms (process %s) vs upload %s ms; in %s ms (restore %s) vs "
                                + "download %s ms", label, r + 1, repeats, Stats.ms(last(outWall)), Stats.ms(last(outProcess)),
                        Stats.ms(last(upload)), Stats.ms(last(inWall)), Stats.ms(last(inRestore)), Stats.ms(last(download)));
            }
        }

        /** A new process of the application, holding {@code size} bytes of state. */
        private void createAndFill(BenchControlPlane cp) {
            String label = BenchOptions.humanBytes(size);
            JsonNode created = cp.createProcess(APP).json();
            id = created.path("id").asText();
            long t0 = System.nanoTime();
            try (ProcessClient client = cp.connect(created, Duration.ofMinutes(10))) {
                int chunk = 0;
                for (long left = size; left > 0; left -= FILL_CHUNK, chunk++) {
                    stateBytes = Long.parseLong(new String(client.invoke("fill",
                            ("c" + chunk + ":" + Math.min(FILL_CHUNK, left)).getBytes()), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            Bench.progress("swap: %s: process %s holds %,d bytes of state (filled in %.1f s)", label, id, stateBytes,
                    (System.nanoTime() - t0) / 1e9);
        }

        /**
         * Swaps the process out. One that does not answer SWAPPED_OUT is recorded and swapped out again:
         * the same process if it serves again (a failed swap-out keeps it ACTIVE), else a new process
         * with the same state (not timed).
         */
        private void swapOut(BenchControlPlane cp) {
            for (int attempt = 1; ; attempt++) {
                Optional<ProcessHandle> jvm = cp.osProcess(APP, id);
                cp.awaitStandbys();
                System.gc();
                BenchControlPlane.Reply r = cp.trySwapOut(APP, id);
                if (r.status() == 200) {
                    recordSwapOut(r);
                    BenchControlPlane.awaitExit(jvm); // the next start does not share the machine with this exit
                    return;
                }
                String status = cp.status(APP, id);
                failures.add("HTTP " + r.status() + " " + r.json().path("message").asText() + " -> " + status);
                Bench.progress("swap: %s: swap-out of %s failed (HTTP %d, now %s): %s", BenchOptions.humanBytes(size), id,
                        r.status(), status, r.text());
                if (attempt >= SWAP_OUT_ATTEMPTS) {
                    throw new IllegalStateException("swap-out failed " + attempt + " times: " + failures);
                }
                if (!status.equals("ACTIVE")) {
                    cleanUp(cp);
                    createAndFill(cp);
                }
            }
        }

        private void recordSwapOut(BenchControlPlane.Reply r) {
            JsonNode snapshot = r.json().path("snapshot");
            outWall.add(r.millis());
            outProcess.add(snapshot.path("durationMs").asDouble(Double.NaN));
            snapshotBytes = snapshot.path("snapshotBytes").asLong();
        }

        private void swapIn(BenchControlPlane cp) {
            Path log = cp.logOf(APP, id);
            long offset = BenchControlPlane.sizeOf(log);
            cp.awaitStandbys();
            System.gc();
            Instant sent = Instant.now();
            BenchControlPlane.Reply r = cp.swapIn(APP, id);
            Instant answered = Instant.now();
            inWall.add(r.millis());
            Optional<Instant> jvmStart = StartPhases.started(cp.osProcess(APP, id));
            try (ProcessClient client = cp.connect(r.json(), Duration.ofMinutes(1))) {
                long restored = Long.parseLong(new String(client.invoke("stateSize", new byte[0]),
                        java.nio.charset.StandardCharsets.UTF_8));
                if (restored != stateBytes) {
                    throw new IllegalStateException("the swapped-in process holds " + restored + " bytes of state, not "
                            + stateBytes);
                }
            }
            // Read after an invocation: the process logs its registration just after the control plane answers.
            StartPhases p = StartPhases.read(log, offset, sent, answered, jvmStart);
            inPhases.add(p);
            inRestore.add(p.restore() > 0 ? p.restore() : StartPhases.restoreMillis(log, offset));
        }

        private void upload(BenchControlPlane cp, RawTransfer raw) throws Exception {
            cp.awaitStandbys();
            System.gc();
            upload.add(raw.upload(rawKey, snapshotBytes) / 1e6);
        }

        private void download(BenchControlPlane cp, RawTransfer raw) throws Exception {
            cp.awaitStandbys();
            System.gc();
            download.add(raw.download(rawKey, snapshotBytes) / 1e6);
        }

        void cleanUp(BenchControlPlane cp) {
            if (id == null) {
                return;
            }
            try {
                Optional<ProcessHandle> jvm = cp.osProcess(APP, id);
                cp.deleteProcess(APP, id); // also removes its snapshots
                BenchControlPlane.awaitExit(jvm);
            } catch (RuntimeException e) {
                Bench.progress("swap: could not delete process %s: %s", id, e);
            }
            id = null;
        }
    }

    private static double last(List<Double> l) {
        return l.isEmpty() ? Double.NaN : l.get(l.size() - 1);
    }

    private static int roundUp(int v, int step) {
        return (v + step - 1) / step * step;
    }

    static String table(Result result) {
        MarkdownTable t = new MarkdownTable("operation", "state", "snapshot bytes", "n", "PraaS ms (wall)",
                "process-side ms", "raw ms", "ratio (wall)", "ratio (process-side)", "PraaS runs (wall)",
                "raw runs", "failed swap-outs", "target", "result");
        for (Row r : result.rows()) {
            String baseline = r.operation().equals("swap-out") ? "upload" : "download";
            if (r.error() != null && r.wall().isEmpty()) {
                t.row(r.operation(), BenchOptions.humanBytes(r.size()), "-", 0, "-", "-", "-", "-", "-", "-", "-",
                        failed(r), "<= 1.3x", "MISS (error: " + r.error() + ")");
                continue;
            }
            String result1 = r.pass() ? "PASS" : "MISS";
            if (r.error() != null) {
                result1 += " (error: " + r.error() + ")";
            }
            t.row(r.operation(), BenchOptions.humanBytes(r.size()), String.format("%,d", r.snapshotBytes()),
                    r.wall().size(), Stats.ms(r.wallMedian()), Stats.ms(r.processMedian()),
                    Stats.ms(r.rawMedian()) + " (" + baseline + ")", Stats.ratio(r.ratio()),
                    Stats.ratio(r.processRatio()), Stats.runs(r.wall()), Stats.runs(r.raw()), failed(r), "<= 1.3x (wall)",
                    result1);
        }
        return t.render();
    }

    private static String failed(Row r) {
        if (!r.operation().equals("swap-out")) {
            return "-";
        }
        return r.failures().size() + " of " + (r.failures().size() + r.wall().size());
    }

    /** Every failed swap-out, for the notes. */
    static List<String> failures(Result result) {
        List<String> all = new ArrayList<>();
        for (Row r : result.rows()) {
            r.failures().forEach(f -> all.add(BenchOptions.humanBytes(r.size()) + ": " + f));
        }
        return all;
    }

    static String phaseTable(Result result) {
        MarkdownTable t = new MarkdownTable("swap-in of", "request -> JVM forked", "JVM boot -> functions loaded",
                "-> restore start (S3 client, stores)", "restore", "-> registered (Vert.x, listen, control channel)",
                "registered -> answer", "total (wall)");
        for (Map.Entry<Integer, StartPhases> e : result.swapInPhases().entrySet()) {
            StartPhases p = e.getValue();
            t.row(BenchOptions.humanBytes(e.getKey()), Stats.ms(p.spawn()), Stats.ms(p.boot()), Stats.ms(p.preRestore()),
                    Stats.ms(p.restore()), Stats.ms(p.serve()), Stats.ms(p.answer()), Stats.ms(p.total()));
        }
        return t.render();
    }
}
