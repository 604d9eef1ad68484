package io.praas.process.e2e;

import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;
import io.praas.codec.Codecs;
import io.praas.process.launch.LocalProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Durability "journal": what a process acknowledged survives SIGKILL, replayed from its journal. */
class JournalTest {

    @TempDir
    Path journal;

    @Test
    void acknowledgedProcessStateSurvivesSigkill() {
        LocalProcess first = TestProcesses.startDev("--journal-dir", journal.toString());
        try (ProcessClient c = TestProcesses.connect(first)) {
            for (int i = 0; i < 50; i++) {
                assertThat(c.invoke("putState", "k" + i + "=v" + i, Codecs.utf8(), Codecs.utf8())).isEqualTo("ok");
            }
        } finally {
            first.kill();
        }

        LocalProcess second = TestProcesses.startDev("--journal-dir", journal.toString());
        try (ProcessClient c = TestProcesses.connect(second)) {
            for (int i = 0; i < 50; i++) {
                assertThat(c.invoke("getState", "k" + i, Codecs.utf8(), Codecs.utf8())).isEqualTo("v" + i);
            }
        } finally {
            TestProcesses.stop(second);
        }
    }

    @Test
    void aCompactedJournalStillBringsBackEveryAcknowledgedWriteAfterSigkill() {
        String filler = "x".repeat(500);
        LocalProcess first = TestProcesses.startDev("--journal-dir", journal.toString(),
                "--journal-compact-bytes", "32k");
        try (ProcessClient c = TestProcesses.connect(first)) {
            ProcessSession cart = c.openSession();
            for (int i = 0; i < 1_000; i++) {
                assertThat(c.invoke("putState", "k" + (i % 20) + "=" + filler + i, Codecs.utf8(), Codecs.utf8()))
                        .isEqualTo("ok");
                if (i % 100 == 0) {
                    cart.invoke("append", "i" + i, Codecs.utf8(), Codecs.json(Integer.class));
                }
            }
            journaledSession = cart.id();
        } finally {
            first.kill();
        }

        // ~520 KB of writes to 20 keys: compacted along the way to about what the keys hold.
        io.praas.process.journal.Journal j = io.praas.process.journal.Journal.open(journal, 0);
        try {
            assertThat(j.entries()).isLessThan(500);
        } finally {
            j.close();
        }

        LocalProcess second = TestProcesses.startDev("--journal-dir", journal.toString());
        try (ProcessClient c = TestProcesses.connect(second)) {
            for (int i = 980; i < 1_000; i++) {
                assertThat(c.invoke("getState", "k" + (i % 20), Codecs.utf8(), Codecs.utf8())).isEqualTo(filler + i);
            }
            ProcessSession cart = c.resumeSession(journaledSession);
            assertThat(cart.resumed()).isTrue();
            assertThat(cart.invoke("append", "after", Codecs.utf8(), Codecs.json(Integer.class))).isEqualTo(11);
        } finally {
            TestProcesses.stop(second);
        }
    }

    private String journaledSession;

    @Test
    void stateOverALoweredLimitIsReplayedWholeAndFurtherGrowthRefused() {
        String big = "x".repeat(100_000);
        LocalProcess first = TestProcesses.startDev("--journal-dir", journal.toString(), "--state-limit", "1m");
        try (ProcessClient c = TestProcesses.connect(first)) {
            for (int i = 0; i < 5; i++) {
                assertThat(c.invoke("putState", "big" + i + "=" + big, Codecs.utf8(), Codecs.utf8())).isEqualTo("ok");
            }
        } finally {
            first.kill();
        }

        // Restarted with room for two of the five values: all five come back; nothing more fits.
        LocalProcess second = TestProcesses.startDev("--journal-dir", journal.toString(), "--state-limit", "200k");
        try (ProcessClient c = TestProcesses.connect(second)) {
            for (int i = 0; i < 5; i++) {
                assertThat(c.invoke("getState", "big" + i, Codecs.utf8(), Codecs.utf8())).isEqualTo(big);
            }
            io.praas.client.PraasException refused = TestProcesses.failureOf(
                    () -> c.invoke("putState", "more=" + big, Codecs.utf8(), Codecs.utf8()));
            assertThat(refused.code()).isEqualTo(io.praas.protocol.ErrorCode.STATE_LIMIT_EXCEEDED);
        } finally {
            TestProcesses.stop(second);
        }
    }

    @Test
    void aSessionWriteJournaledAfterItsSessionClosedDoesNotReopenIt() {
        // As a write under way when its session closed leaves the journal: the closing, then the write.
        io.praas.process.journal.Journal j = io.praas.process.journal.Journal.open(journal);
        try {
            j.sessionOpened("cart");
            j.put("cart", "items", "3".getBytes());
            j.sessionOpened("kept");
            j.put("kept", "items", "1".getBytes());
            j.sessionClosed("cart");
            j.put("cart", "late", "4".getBytes());
        } finally {
            j.close();
        }

        LocalProcess p = TestProcesses.startDev("--journal-dir", journal.toString());
        try (ProcessClient c = TestProcesses.connect(p)) {
            assertThat(c.resumeSession("kept").resumed()).isTrue();
            assertThat(c.resumeSession("cart").resumed()).as("closed, and not reopened by the late write").isFalse();
        } finally {
            TestProcesses.stop(p);
        }
    }

    @Test
    void acknowledgedPeerMessagesSurviveSigkillAndTakenOnesStayTaken() {
        LocalProcess first = TestProcesses.startDev("--journal-dir", journal.toString());
        try (RawConnection peer = RawConnection.open(first.port()); ProcessClient c = TestProcesses.connect(first)) {
            peer.send(1, new io.praas.protocol.Message.Hello("", "", "p-peer", "e2e-peer"));
            assertThat(peer.read().message()).isInstanceOf(io.praas.protocol.Message.Welcome.class);
            for (int i = 0; i < 20; i++) {
                peer.send(10 + i, new io.praas.protocol.Message.PeerMessage("p-peer", "jobs", ("job " + i).getBytes()));
                assertThat(peer.read().message()).as("ack of message %d", i).isInstanceOf(io.praas.protocol.Message.Ok.class);
            }
            assertThat(c.invoke("take", "p-peer|jobs|2000", Codecs.utf8(), Codecs.utf8())).isEqualTo("p-peer|job 0");
        } finally {
            first.kill();
        }

        LocalProcess second = TestProcesses.startDev("--journal-dir", journal.toString());
        try (ProcessClient c = TestProcesses.connect(second)) {
            for (int i = 1; i < 20; i++) {
                assertThat(c.invoke("take", "p-peer|jobs|2000", Codecs.utf8(), Codecs.utf8())).isEqualTo("p-peer|job " + i);
            }
        } finally {
            TestProcesses.stop(second);
        }
    }

    @Test
    void everyAcknowledgedWriteOfAConcurrentLoadSurvivesSigkillMidLoad() throws Exception {
        LocalProcess first = TestProcesses.startDev("--journal-dir", journal.toString());
        List<String> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<?>> calls = new ArrayList<>();
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(32);
        try (first; ProcessClient c = TestProcesses.connect(first)) {
            for (int i = 0; i < 5_000 && first.isAlive(); i++) {
                String kv = "load" + i + "=" + i;
                window.acquire();
                calls.add(c.invokeAsync("putState", kv.getBytes()).whenComplete((out, err) -> {
                    if (err == null) {
                        acknowledged.add(kv);
                    }
                    window.release();
                }));
                if (acknowledged.size() >= 300 && first.isAlive()) {
                    first.kill(); // mid-load: writes in flight now are never acknowledged
                }
            }
            for (CompletableFuture<?> f : calls) {
                try {
                    f.join();
                } catch (RuntimeException notAcknowledged) {
                    // lost with the process; never acknowledged
                }
            }
        }
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(300);

        LocalProcess second = TestProcesses.startDev("--journal-dir", journal.toString());
        try (ProcessClient c = TestProcesses.connect(second)) {
            for (String kv : List.copyOf(acknowledged)) {
                String key = kv.substring(0, kv.indexOf('='));
                assertThat(c.invoke("getState", key, Codecs.utf8(), Codecs.utf8()))
                        .as("acknowledged write %s", kv).isEqualTo(kv.substring(kv.indexOf('=') + 1));
            }
        } finally {
            TestProcesses.stop(second);
        }
    }

    @Test
    void sessionsAndTheirStateSurviveSigkillAndClosedSessionsStayClosed() {
        LocalProcess first = TestProcesses.startDev("--journal-dir", journal.toString());
        String kept;
        String closed;
        try (first; ProcessClient c = TestProcesses.connect(first)) {
            ProcessSession a = c.openSession();
            ProcessSession b = c.openSession();
            a.invoke("append", "x", Codecs.utf8(), Codecs.json(Integer.class));
            a.invoke("append", "y", Codecs.utf8(), Codecs.json(Integer.class));
            b.invoke("append", "z", Codecs.utf8(), Codecs.json(Integer.class));
            kept = a.id();
            closed = b.id();
            b.close();
            first.kill();
        }

        LocalProcess second = TestProcesses.startDev("--journal-dir", journal.toString());
        try (ProcessClient c = TestProcesses.connect(second)) {
            ProcessSession a = c.resumeSession(kept);
            assertThat(a.resumed()).isTrue();
            assertThat(a.invoke("append", "w", Codecs.utf8(), Codecs.json(Integer.class))).isEqualTo(3);
            ProcessSession b = c.resumeSession(closed);
            assertThat(b.resumed()).as("a closed session is not brought back").isFalse();
        } finally {
            TestProcesses.stop(second);
        }
    }
}
