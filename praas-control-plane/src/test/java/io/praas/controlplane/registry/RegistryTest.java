package io.praas.controlplane.registry;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.praas.backend.Resources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Registry updates on a real two-member Hazelcast cluster: concurrent updates of one process from
 * both members lose none, an update that removes or finds nothing says so, and one that starts from
 * the caller's stale read of the record applies to the record as it is.
 */
class RegistryTest {
    private static HazelcastInstance one;
    private static HazelcastInstance two;

    @BeforeAll
    static void startCluster() {
        String cluster = "registry-test-" + UUID.randomUUID();
        one = Hazelcast.newHazelcastInstance(config(cluster, null));
        two = Hazelcast.newHazelcastInstance(config(cluster, "127.0.0.1:"
                + one.getCluster().getLocalMember().getAddress().getPort()));
        assertThat(two.getCluster().getMembers()).hasSize(2);
    }

    @AfterAll
    static void stopCluster() {
        if (two != null) {
            two.shutdown();
        }
        if (one != null) {
            one.shutdown();
        }
    }

    @Test
    void concurrentUpdatesFromTwoMembersLoseNone() throws Exception {
        Registry a = new Registry(one);
        Registry b = new Registry(two);
        assertThat(a.createProcess(record("counted"))).isTrue();
        int threadsPerMember = 3;
        int updatesPerThread = 100;
        ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerMember);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (Registry r : List.of(a, b)) {
                for (int t = 0; t < threadsPerMember; t++) {
                    done.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < updatesPerThread; i++) {
                            ProcessRecord written = r.update("app", "counted", RegistryTest::counted).orElseThrow();
                            assertThat(written.metrics().invocations()).isPositive();
                        }
                        return null;
                    }));
                }
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        long total = 2L * threadsPerMember * updatesPerThread;
        assertThat(b.process("app", "counted").orElseThrow().metrics().invocations()).isEqualTo(total);
        assertThat(a.process("app", "counted").orElseThrow().metrics().invocations()).isEqualTo(total);
    }

    @Test
    void anUpdateThatChangesNothingWritesNothingAndOneThatReturnsNullRemoves() {
        Registry a = new Registry(one);
        Registry b = new Registry(two);
        a.createProcess(record("short-lived"));
        ProcessRecord before = b.process("app", "short-lived").orElseThrow();

        Optional<ProcessRecord> same = b.update("app", "short-lived", p -> p);
        Optional<ProcessRecord> removed = b.update("app", "short-lived", p -> null);

        assertThat(same).contains(before);
        assertThat(removed).isEmpty();
        assertThat(a.process("app", "short-lived")).isEmpty();
        assertThat(a.update("app", "short-lived", RegistryTest::counted)).as("no such process").isEmpty();
    }

    @Test
    void anUpdateFromTheCallersReadAppliesToTheCurrentRecordEvenWhenTheReadIsStale() {
        Registry a = new Registry(one);
        Registry b = new Registry(two);
        a.createProcess(record("read-before"));
        ProcessRecord fresh = b.process("app", "read-before").orElseThrow();

        ProcessRecord once = b.update("app", "read-before", fresh, RegistryTest::counted).orElseThrow();
        // Another update came in since 'fresh' was read: the change must start from the record as it is now.
        a.update("app", "read-before", RegistryTest::counted);
        ProcessRecord fromStale = b.update("app", "read-before", fresh, RegistryTest::counted).orElseThrow();

        assertThat(once.metrics().invocations()).isEqualTo(1);
        assertThat(fromStale.metrics().invocations()).isEqualTo(3);
        assertThat(a.process("app", "read-before").orElseThrow()).isEqualTo(fromStale);
    }

    @Test
    void aChangeThatLeavesTheCallersStaleReadAsItIsIsDecidedOnTheCurrentRecord() {
        Registry a = new Registry(one);
        Registry b = new Registry(two);
        a.createProcess(record("no-op-before"));
        ProcessRecord fresh = b.process("app", "no-op-before").orElseThrow();
        a.update("app", "no-op-before", RegistryTest::counted);

        // Counts only a record that has been counted before: nothing to do on the stale read.
        Optional<ProcessRecord> result = b.update("app", "no-op-before", fresh,
                p -> p.metrics().invocations() == 0 ? p : counted(p));

        assertThat(result.orElseThrow().metrics().invocations()).isEqualTo(2);
        assertThat(a.process("app", "no-op-before").orElseThrow().metrics().invocations()).isEqualTo(2);
    }

    private static ProcessRecord counted(ProcessRecord p) {
        ProcessRecord.Metrics m = p.metrics();
        return p.withMetrics(new ProcessRecord.Metrics(m.invocations() + 1, m.activeSessions(), m.stateBytes(),
                m.lastActivity(), m.inFlight(), m.heartbeatAt()));
    }

    @Test
    void theProcessesOfAnApplicationOrANodeAreFoundThroughTheIndexesOnEitherMember() {
        Registry a = new Registry(one);
        Registry b = new Registry(two);
        Instant now = Instant.now();
        for (String key : List.of("idx-a/p-3", "idx-a/p-1", "idx-a/p-2", "idx-ab/p-1", "idx-b/p-1")) {
            String[] ap = key.split("/");
            String node = ap[1].equals("p-2") || ap[0].equals("idx-b") ? "node-idx-2" : "node-idx-1";
            assertThat(a.createProcess(ProcessRecord.allocating(ap[0], ap[1], new Resources(1, 256), node, now))).isTrue();
        }
        long[] indexedBefore = {indexedQueries(one), indexedQueries(two)};

        assertThat(b.processes("idx-a")).extracting(ProcessRecord::key)
                .containsExactly("idx-a/p-1", "idx-a/p-2", "idx-a/p-3");
        assertThat(a.processes("idx-ab")).extracting(ProcessRecord::key).containsExactly("idx-ab/p-1");
        assertThat(a.processes("idx-none")).isEmpty();
        assertThat(b.processesOfNode("node-idx-2")).extracting(ProcessRecord::key)
                .containsExactlyInAnyOrder("idx-a/p-2", "idx-b/p-1");
        // A record that moves to another node is found under that node only.
        b.update("idx-a", "p-1", p -> p.managedBy("node-idx-2"));
        assertThat(a.processesOfNode("node-idx-2")).extracting(ProcessRecord::key)
                .containsExactlyInAnyOrder("idx-a/p-1", "idx-a/p-2", "idx-b/p-1");
        assertThat(a.processesOfNode("node-idx-1")).extracting(ProcessRecord::key)
                .containsExactlyInAnyOrder("idx-a/p-3", "idx-ab/p-1");
        // Each query runs on both members (each owns part of the records): both answered all six from an index.
        assertThat(indexedQueries(one) - indexedBefore[0]).as("queries member one answered from an index")
                .isGreaterThanOrEqualTo(6);
        assertThat(indexedQueries(two) - indexedBefore[1]).as("queries member two answered from an index")
                .isGreaterThanOrEqualTo(6);
    }

    /** Queries of the processes map that {@code member} answered from an index. */
    private static long indexedQueries(HazelcastInstance member) {
        return member.getMap(Registry.PROCESSES).getLocalMapStats().getIndexedQueryCount();
    }

    private static ProcessRecord record(String id) {
        return ProcessRecord.allocating("app", id, new Resources(1, 256), "node-1", Instant.now());
    }

    /** A member on loopback that joins {@code member} (null: starts the cluster). */
    private static Config config(String cluster, String member) {
        Config c = Registry.configure(new Config());
        c.setClusterName(cluster);
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.getJetConfig().setEnabled(false);
        c.getNetworkConfig().setPort(5801).setPortAutoIncrement(true);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = c.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember(member != null ? member : "127.0.0.1");
        return c;
    }
}
