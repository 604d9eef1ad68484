package io.praas.process.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compaction keeps what a replay needs: a replay of the compacted journal over the same snapshot
 * leaves exactly what a replay of the whole journal leaves.
 */
class JournalCompactionTest {

    @TempDir
    Path dir;

    @Test
    void aReplayOfTheCompactedJournalLeavesWhatTheWholeJournalLeft() {
        for (long seed = 1; seed <= 20; seed++) {
            Path d = dir.resolve("j" + seed);
            Random random = new Random(seed);
            try (Journal j = Journal.open(d, 0)) {
                new Workload(random).run(j, 3_000);
                Model whole = Model.base().replayed(j);
                wholeModels.put(d, whole);
                long entries = j.entries();

                assertThat(j.compact()).isTrue();

                Model compacted = Model.base().replayed(j);
                assertThat(compacted).as("seed %d", seed).isEqualTo(whole);
                assertThat(j.entries()).as("seed %d", seed).isLessThan(entries);
            }
            // and as the next start finds it
            try (Journal reopened = Journal.open(d, 0)) {
                assertThat(Model.base().replayed(reopened)).as("seed %d, reopened", seed).isEqualTo(wholeModels.get(d));
            }
        }
    }

    @Test
    void sessionsAndMessagesTheJournalBeganAndEndedLeaveNothing() {
        try (Journal j = Journal.open(dir, 0)) {
            for (int i = 0; i < 50; i++) {
                String session = "short-" + i;
                j.sessionOpened(session);
                j.put(session, "cart", value(i));
                j.sessionClosed(session);
                j.mailboxPut(100 + i, "p-" + i, "jobs", value(i));
                j.mailboxTake(100 + i);
            }
            j.put("", "kept", value(1));

            assertThat(j.compact()).isTrue();

            assertThat(j.entries()).as("only the process state's write").isEqualTo(1);
            assertThat(Model.base().replayed(j)).isEqualTo(Model.base().withProcessValue("kept", "v1"));
        }
    }

    @Test
    void appendsDuringACompactionAreKeptInOrder() throws Exception {
        try (Journal j = Journal.open(dir, 0)) {
            for (int i = 0; i < 20_000; i++) {
                j.put("", "k" + (i % 50), value(i));
            }
            AtomicBoolean stop = new AtomicBoolean();
            Map<String, String> written = new HashMap<>();
            Thread writer = new Thread(() -> {
                for (int i = 20_000; !stop.get() || i < 25_000; i++) {
                    String key = "k" + (i % 70);
                    j.put("", key, value(i));
                    synchronized (written) {
                        written.put(key, "v" + i);
                    }
                }
            });
            writer.start();
            int compactions = 0;
            for (int round = 0; round < 5; round++) {
                compactions += j.compact() ? 1 : 0;
            }
            stop.set(true);
            writer.join();

            assertThat(compactions).isEqualTo(5);
            Model replayed = Model.base().replayed(j);
            Map<String, String> expected = new TreeMap<>();
            for (int i = 0; i < 20_000; i++) {
                expected.put("k" + (i % 50), "v" + i);
            }
            expected.putAll(written);
            assertThat(replayed.sessions.get("")).isEqualTo(expected);
            assertThat(j.compact()).isTrue();
            assertThat(j.entries()).as("one write per key once nothing is appended meanwhile").isEqualTo(70);
            assertThat(Model.base().replayed(j).sessions.get("")).isEqualTo(expected);
        }
    }

    @Test
    void aJournalPastItsThresholdIsCompactedInTheBackground() throws Exception {
        try (Journal j = Journal.open(dir, 16 * 1024)) {
            for (int i = 0; i < 2_000; i++) {
                j.put("", "k" + (i % 10), new byte[200]);
            }
            j.put("", "last", value(7));
            // 2,000 writes of 200 bytes: ~420 KB appended. A compaction keeps the 10 keys' last writes
            // plus what was appended while it ran, which the next one (started by a later write)
            // compacts: with writes going on, the journal comes down to about the 11 keys' records.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (j.bytes() > 16 * 1024 && System.nanoTime() < deadline) {
                j.put("", "last", value(7));
                Thread.sleep(10);
            }
            assertThat(j.bytes()).isLessThanOrEqualTo(16 * 1024);
            assertThat(j.entries()).isLessThan(2_000);
            assertThat(Model.base().replayed(j).sessions.get("")).containsEntry("last", "v7").hasSize(11);
        }
    }

    @Test
    void aCopyLeftBeforeTheSwitchIsDiscardedAndOneLeftAfterItIsTaken() throws Exception {
        Path a = dir.resolve("a");
        Journal j = Journal.open(a, 0);
        j.put("", "k", value(1));
        j.close();
        Journal junk = Journal.open(dir.resolve("junk"), 0);
        junk.put("", "k", value(2));
        junk.close();
        // Crash before the switch: the queue and an unfinished copy.
        Files.move(dir.resolve("junk").resolve("queue"), a.resolve("compacting"));
        try (Journal reopened = Journal.open(a, 0)) {
            assertThat(Model.base().replayed(reopened).sessions.get("")).containsEntry("k", "v1");
        }
        assertThat(a.resolve("compacting")).doesNotExist();

        // Crash between the renames: the old queue moved away, the complete copy not yet in place.
        Path b = dir.resolve("b");
        Journal old = Journal.open(b, 0);
        old.put("", "k", value(1));
        old.put("", "k", value(3));
        old.close();
        Journal copy = Journal.open(dir.resolve("copy"), 0);
        copy.put("", "k", value(3));
        copy.close();
        Files.move(b.resolve("queue"), b.resolve("old"));
        Files.move(dir.resolve("copy").resolve("queue"), b.resolve("compacting"));
        Files.createFile(b.resolve("compacting").resolve("praas-compaction-complete"));
        try (Journal recovered = Journal.open(b, 0)) {
            assertThat(recovered.entries()).isEqualTo(1);
            assertThat(Model.base().replayed(recovered).sessions.get("")).containsEntry("k", "v3");
        }
        assertThat(b.resolve("old")).doesNotExist();
        assertThat(b.resolve("compacting")).doesNotExist();

        // A copy without its mark is never taken, even with no queue beside it (a truncation had
        // removed the queue when the process died): its records are older than the snapshot.
        Path c = dir.resolve("c");
        Files.createDirectories(c);
        Journal partial = Journal.open(dir.resolve("partial"), 0);
        partial.put("", "k", value(9));
        partial.close();
        Files.move(dir.resolve("partial").resolve("queue"), c.resolve("compacting"));
        try (Journal empty = Journal.open(c, 0)) {
            assertThat(empty.entries()).isZero();
        }
        assertThat(c.resolve("compacting")).doesNotExist();
    }

    @Test
    void aJournalOfTheEarlierFlatLayoutIsMovedIntoItsQueueDirectory() throws Exception {
        Journal j = Journal.open(dir.resolve("new"), 0);
        j.put("", "k", value(4));
        j.close();
        Path flat = dir.resolve("flat");
        Files.createDirectories(flat);
        try (java.util.stream.Stream<Path> files = Files.list(dir.resolve("new").resolve("queue"))) {
            for (Path f : files.toList()) {
                Files.move(f, flat.resolve(f.getFileName()));
            }
        }

        try (Journal migrated = Journal.open(flat, 0)) {
            assertThat(Model.base().replayed(migrated).sessions.get("")).containsEntry("k", "v4");
        }
    }

    @Test
    void aTruncatedJournalStaysEmptyAndTakesAppendsAfterACompaction() {
        try (Journal j = Journal.open(dir, 0)) {
            for (int i = 0; i < 100; i++) {
                j.put("", "k" + (i % 5), value(i));
            }
            assertThat(j.compact()).isTrue();
            j.truncate();
            assertThat(j.entries()).isZero();
            assertThat(j.bytes()).isZero();
            j.put("", "after", value(1));
            // none of the writes before the truncation: the snapshot's two keys and the one after it
            assertThat(Model.base().replayed(j).sessions.get(""))
                    .isEqualTo(Map.of("after", "v1", "k1", "snap", "k2", "snap"));
        }
    }

    private final Map<Path, Model> wholeModels = new HashMap<>();

    private static byte[] value(int i) {
        return ("v" + i).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Random changes as a process journals them: opens of sessions that do not exist, closes, writes
     * to process and session state (also to a session just closed, as a write under way at its
     * closing), deletes, messages put, taken and given back.
     */
    private static final class Workload {
        private final Random random;
        private final List<String> open = new ArrayList<>(List.of("s0", "s1", "s2"));
        private final List<String> closed = new ArrayList<>();
        private final List<Long> stored = new ArrayList<>(List.of(1L, 2L, 3L));
        private final List<Long> taken = new ArrayList<>();
        private long nextSeq = 4;
        private int nextSession = 3;

        Workload(Random random) {
            this.random = random;
        }

        void run(Journal j, int changes) {
            for (int i = 0; i < changes; i++) {
                int r = random.nextInt(100);
                if (r < 30) {
                    j.put("", "k" + random.nextInt(15), value(i));
                } else if (r < 35) {
                    j.delete("", "k" + random.nextInt(15));
                } else if (r < 55 && !open.isEmpty()) {
                    j.put(pick(open), "k" + random.nextInt(5), value(i));
                } else if (r < 58 && !open.isEmpty()) {
                    j.delete(pick(open), "k" + random.nextInt(5));
                } else if (r < 61 && !closed.isEmpty()) {
                    j.put(pick(closed), "late", value(i));
                } else if (r < 64) {
                    String s = !closed.isEmpty() && random.nextBoolean() ? closed.remove(random.nextInt(closed.size()))
                            : "s" + nextSession++;
                    open.add(s);
                    j.sessionOpened(s);
                } else if (r < 67 && !open.isEmpty()) {
                    String s = open.remove(random.nextInt(open.size()));
                    closed.add(s);
                    j.sessionClosed(s);
                } else if (r < 82) {
                    long seq = nextSeq++;
                    stored.add(seq);
                    j.mailboxPut(seq, "p-" + random.nextInt(3), "m" + random.nextInt(3), value(i));
                } else if (r < 95 && !stored.isEmpty()) {
                    long seq = stored.remove(random.nextInt(stored.size()));
                    taken.add(seq);
                    j.mailboxTake(seq);
                } else if (!taken.isEmpty()) {
                    long seq = taken.remove(random.nextInt(taken.size())); // a receive that did not keep it
                    stored.add(seq);
                    j.mailboxPut(seq, "p-back", "m", value(i));
                }
            }
        }

        private String pick(List<String> from) {
            return from.get(random.nextInt(from.size()));
        }
    }

    /** What a process holds after a replay, applied as the process applies it (PraasProcess.JournalReplay). */
    private static final class Model implements Journal.Replay {
        final Map<String, Map<String, String>> sessions = new TreeMap<>();
        /** seq -> message, as a list per seq so that a message put back twice would show. */
        final Map<Long, List<String>> mailbox = new TreeMap<>();

        /** The snapshot every replay starts from: process state, three sessions, three messages. */
        static Model base() {
            Model m = new Model();
            m.sessions.put("", new TreeMap<>(Map.of("k1", "snap", "k2", "snap")));
            for (String s : List.of("s0", "s1", "s2")) {
                m.sessions.put(s, new TreeMap<>(Map.of("k0", "snap-" + s)));
            }
            for (long seq = 1; seq <= 3; seq++) {
                m.mailbox.put(seq, new ArrayList<>(List.of("snap|m|" + seq)));
            }
            return m;
        }

        Model withProcessValue(String key, String value) {
            sessions.get("").put(key, value);
            return this;
        }

        Model replayed(Journal j) {
            j.replay(this);
            return this;
        }

        @Override
        public void put(String session, String key, byte[] value) {
            Map<String, String> state = sessions.get(session);
            if (state != null) {
                state.put(key, new String(value, StandardCharsets.UTF_8));
            }
        }

        @Override
        public void delete(String session, String key) {
            Map<String, String> state = sessions.get(session);
            if (state != null) {
                state.remove(key);
            }
        }

        @Override
        public void sessionOpened(String session) {
            sessions.putIfAbsent(session, new TreeMap<>());
        }

        @Override
        public void sessionClosed(String session) {
            sessions.remove(session);
        }

        @Override
        public void mailboxPut(long seq, String from, String key, byte[] data) {
            mailbox.computeIfAbsent(seq, s -> new ArrayList<>()).add(from + "|" + key + "|"
                    + new String(data, StandardCharsets.UTF_8));
        }

        @Override
        public void mailboxTake(long seq) {
            List<String> l = mailbox.get(seq);
            if (l != null) {
                l.remove(0);
                if (l.isEmpty()) {
                    mailbox.remove(seq);
                }
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Model m && sessions.equals(m.sessions) && mailbox.equals(m.mailbox);
        }

        @Override
        public int hashCode() {
            return sessions.hashCode();
        }

        @Override
        public String toString() {
            return sessions + " " + mailbox;
        }
    }
}
