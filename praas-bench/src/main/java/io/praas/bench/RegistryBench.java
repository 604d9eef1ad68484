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
 * The control plane's registry with its hash indexes on the process records against without them,
 * in one run on two Hazelcast members in this JVM (each a cluster of its own): one configured as a
 * control-plane node's ({@link Registry#configure}), one not. Two operations:
 * <ul>
 *   <li>finding one application's processes, as every create, swap-in, invocation routed through the
 *       control plane and world update does: {@link Registry#processes} through the index, against
 *       reading every record and keeping the application's (the registry's way before the index);</li>
 *   <li>a heartbeat's update of one record ({@link Registry#update}), which must also update the
 *       indexes.</li>
 * </ul>
 * Records carry ten transitions each, as a process's that has been swapped a few times. The two
 * sides alternate in blocks (ABBA); both must find the same records.
 */
final class RegistryBench {
    static final String NAME = "registry";
    /** Cases: applications x processes per application. */
    static final List<int[]> CASES = List.of(new int[] {1, 10}, new int[] {100, 50});
    private static final int BLOCKS = 6;
    private static final int TRANSITIONS = 10;

    /** One operation at one size: times with the indexes and without, in microseconds. */
    record Row(String operation, int applications, int perApplication, List<Double> indexed, List<Double> plain) {
        int processes() {
            return applications * perApplication;
        }

        /** Without over with the indexes, at p50: above 1 when the indexes make it faster. */
        double ratio() {
            return Stats.median(plain) / Stats.median(indexed);
        }
    }

    /** One side's operation; returns what it found (the same on both sides) or null. */
    @FunctionalInterface
    private interface Op {
        List<ProcessRecord> run(int i);
    }

    List<Row> run() {
        List<Row> rows = new ArrayList<>();
        HazelcastInstance withIndexes = Hazelcast.newHazelcastInstance(config(Registry.configure(new Config())));
        try {
            HazelcastInstance without = Hazelcast.newHazelcastInstance(config(new Config()));
            try {
                for (int[] k : CASES) {
                    rows.addAll(measure(withIndexes, without, k[0], k[1]));
                }
            } finally {
                without.shutdown();
            }
        } finally {
            withIndexes.shutdown();
        }
        return rows;
    }

    private static Config config(Config c) {
        c.setClusterName("praas-bench-registry-" + UUID.randomUUID());
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.getJetConfig().setEnabled(false);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = c.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        return c;
    }

    private static List<Row> measure(HazelcastInstance withIndexes, HazelcastInstance without, int applications, int per) {
        Bench.progress("registry: %d applications x %d processes", applications, per);
        Registry indexed = new Registry(withIndexes);
        Registry plain = new Registry(without);
        IMap<String, ProcessRecord> plainMap = without.getMap(Registry.PROCESSES);
        withIndexes.getMap(Registry.PROCESSES).clear();
        plainMap.clear();
        Instant now = Instant.now();
        for (int a = 0; a < applications; a++) {
            for (int p = 0; p < per; p++) {
                ProcessRecord r = ProcessRecord.allocating("app-" + a, "p-" + p, new Resources(1, 256), "node-1", now);
                for (int t = 1; t < TRANSITIONS; t++) {
                    r = r.withStatus(t % 2 == 1 ? ProcessStatus.ACTIVE : ProcessStatus.SWAPPED_OUT, now);
                }
                indexed.createProcess(r);
                plain.createProcess(r);
            }
        }
        int processes = applications * per;
        int queries = Math.max(20, Math.min(1_000, 200_000 / processes)); // a scan reads every record
        Row find = compare("find an application's processes", applications, per, queries,
                i -> indexed.processes(app(i, applications)), i -> scan(plainMap, app(i, applications)), true);
        Row update = compare("heartbeat update of one record", applications, per, 1_000,
                i -> heartbeat(indexed, i, applications, per), i -> heartbeat(plain, i, applications, per), false);
        return List.of(find, update);
    }

    private static String app(int i, int applications) {
        return "app-" + (i % applications);
    }

    private static List<ProcessRecord> heartbeat(Registry registry, int i, int applications, int per) {
        Instant now = Instant.now();
        registry.update(app(i, applications), "p-" + (i / applications) % per, p -> p.withMetrics(
                new ProcessRecord.Metrics(i, 1, 1024, now, 0, now)));
        return null;
    }

    private static Row compare(String operation, int applications, int per, int count, Op withIndexes, Op without,
                               boolean sameAnswers) {
        List<Double> indexed = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        block(withIndexes, count, null); // warm-up, both sides
        block(without, count, null);
        for (int b = 0; b < BLOCKS; b++) {
            boolean indexFirst = b % 2 == 0; // ABBA
            block(indexFirst ? withIndexes : without, count, indexFirst ? indexed : plain);
            block(indexFirst ? without : withIndexes, count, indexFirst ? plain : indexed);
            if (sameAnswers && !withIndexes.run(b).equals(without.run(b))) {
                throw new IllegalStateException(operation + ": the two sides found different processes");
            }
        }
        return new Row(operation, applications, per, indexed, plain);
    }

    private static void block(Op op, int count, List<Double> micros) {
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            op.run(i);
            long took = System.nanoTime() - t0;
            if (micros != null) {
                micros.add(took / 1000.0);
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
        MarkdownTable t = new MarkdownTable("operation", "processes (applications x each)", "n", "indexes p50",
                "indexes p99", "without p50", "without p99", "without / indexes (p50)", "result");
        for (Row r : rows) {
            t.row(r.operation(), String.format("%,d (%d x %d)", r.processes(), r.applications(), r.perApplication()),
                    r.indexed().size(), us(Stats.median(r.indexed())), us(Stats.percentile(r.indexed(), 0.99)),
                    us(Stats.median(r.plain())), us(Stats.percentile(r.plain(), 0.99)), Stats.ratio(r.ratio()), "info");
        }
        return t.render();
    }

    private static String us(double micros) {
        return micros >= 1000 ? Stats.ms(micros / 1000) + " ms" : String.format("%.0f us", micros);
    }
}
