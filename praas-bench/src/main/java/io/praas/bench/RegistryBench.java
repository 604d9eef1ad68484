package io.praas.bench;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.praas.backend.Resources;
import io.praas.controlplane.registry.ProcessRecord;
import io.praas.controlplane.registry.ProcessStatus;
import io.praas.controlplane.registry.Registry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Finding the processes of one application in the control plane's registry, as every create,
 * swap-in, invocation routed through the control plane and world update does: through the
 * registry's hash index on the application ({@link Registry#processes}) against reading every
 * process record of the cluster and keeping the application's (how it was done before the index),
 * in one run on one Hazelcast member in this JVM, configured as a control-plane node's
 * ({@link Registry#configure}). Records carry ten transitions each, as a process's that has been
 * swapped a few times. The two ways alternate in blocks and must return the same records.
 */
final class RegistryBench {
    static final String NAME = "registry";
    /** Cases: applications x processes per application. */
    static final List<int[]> CASES = List.of(new int[] {1, 10}, new int[] {100, 50});
    private static final int BLOCKS = 6;
    private static final int TRANSITIONS = 10;

    /** One case: query times of both ways, in microseconds. */
    record Row(int applications, int perApplication, List<Double> indexed, List<Double> scan) {
        int processes() {
            return applications * perApplication;
        }

        double ratio() {
            return Stats.median(scan) / Stats.median(indexed);
        }
    }

    List<Row> run() {
        List<Row> rows = new ArrayList<>();
        Config c = Registry.configure(new Config());
        c.setClusterName("praas-bench-registry-" + UUID.randomUUID());
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.getJetConfig().setEnabled(false);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = c.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        HazelcastInstance member = Hazelcast.newHazelcastInstance(c);
        try {
            Registry registry = new Registry(member);
            IMap<String, ProcessRecord> map = member.getMap(Registry.PROCESSES);
            for (int[] k : CASES) {
                map.clear();
                rows.add(measure(registry, map, k[0], k[1]));
            }
        } finally {
            member.shutdown();
        }
        return rows;
    }

    private static Row measure(Registry registry, IMap<String, ProcessRecord> map, int applications, int per) {
        Bench.progress("registry: %d applications x %d processes", applications, per);
        Instant now = Instant.now();
        for (int a = 0; a < applications; a++) {
            for (int p = 0; p < per; p++) {
                ProcessRecord r = ProcessRecord.allocating("app-" + a, "p-" + p, new Resources(1, 256), "node-1", now);
                for (int t = 0; t < TRANSITIONS; t++) {
                    r = r.withStatus(t % 2 == 0 ? ProcessStatus.ACTIVE : ProcessStatus.SWAPPED_OUT, now);
                }
                registry.createProcess(r);
            }
        }
        int processes = applications * per;
        // Each block reads every record at least ~100 times in all for the scan's side: fewer queries when there are many.
        int queries = Math.max(20, Math.min(1_000, 200_000 / processes));
        List<Double> indexed = new ArrayList<>();
        List<Double> scan = new ArrayList<>();
        runBlock(registry, map, applications, queries, true, null); // warm-up, both ways
        runBlock(registry, map, applications, queries, false, null);
        for (int b = 0; b < BLOCKS; b++) {
            boolean indexFirst = b % 2 == 0; // ABBA
            runBlock(registry, map, applications, queries, indexFirst, indexFirst ? indexed : scan);
            runBlock(registry, map, applications, queries, !indexFirst, indexFirst ? scan : indexed);
        }
        return new Row(applications, per, indexed, scan);
    }

    private static void runBlock(Registry registry, IMap<String, ProcessRecord> map, int applications, int queries,
                                 boolean throughIndex, List<Double> micros) {
        for (int q = 0; q < queries; q++) {
            String app = "app-" + (q % applications);
            long t0 = System.nanoTime();
            List<ProcessRecord> found = throughIndex ? registry.processes(app) : scan(map, app);
            long took = System.nanoTime() - t0;
            if (micros != null) {
                micros.add(took / 1000.0);
            }
            if (q == 0 && !found.equals(throughIndex ? scan(map, app) : registry.processes(app))) {
                throw new IllegalStateException("the index and the scan found different processes of " + app);
            }
        }
    }

    /** Every record of the cluster, kept if its key is the application's: the registry's way before its index. */
    private static List<ProcessRecord> scan(IMap<String, ProcessRecord> map, String application) {
        String prefix = application + "/";
        return map.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix))
                .map(java.util.Map.Entry::getValue)
                .sorted(Comparator.comparing(ProcessRecord::id))
                .toList();
    }

    static String table(List<Row> rows) {
        MarkdownTable t = new MarkdownTable("processes (applications x each)", "n", "index p50", "index p99",
                "scan p50", "scan p99", "scan / index (p50)", "result");
        for (Row r : rows) {
            t.row(String.format("%,d (%d x %d)", r.processes(), r.applications(), r.perApplication()), r.indexed().size(),
                    us(Stats.median(r.indexed())), us(Stats.percentile(r.indexed(), 0.99)), us(Stats.median(r.scan())),
                    us(Stats.percentile(r.scan(), 0.99)), Stats.ratio(r.ratio()), "info");
        }
        return t.render();
    }

    private static String us(double micros) {
        return micros >= 1000 ? Stats.ms(micros / 1000) + " ms" : String.format("%.0f us", micros);
    }
}
