package io.praas.controlplane;

import io.praas.client.Application;
import io.praas.client.ApplicationSpec;
import io.praas.client.Praas;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessInfo;
import io.praas.client.ProcessSpec;
import io.praas.client.ProcessStatus;
import io.praas.client.Resources;
import io.praas.codec.Codecs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static io.praas.controlplane.ControlPlanes.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Durability "journal" end to end: a process killed with SIGKILL in the middle of a load is
 * restarted by the control plane with the same id from its snapshot plus its journal, and every
 * write it acknowledged is there.
 */
class JournalRecoveryTest {
    private static final String APP = "ledger";

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Praas praas;

    @BeforeAll
    static void start() {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config());
        praas = Praas.builder().url(cp.apiUrl()).adminKey(ControlPlanes.ADMIN_KEY).build();
        praas.createApplication(ApplicationSpec.named(APP).withResources(new Resources(1, 256))
                .withDurability(Application.Durability.JOURNAL));
        praas.uploadCode(APP, SwapApp.jar());
    }

    /** Each test's processes go (the application has room for four). */
    @org.junit.jupiter.api.AfterEach
    void deleteProcesses() {
        for (ProcessInfo p : praas.listProcesses(APP)) {
            praas.deleteProcess(APP, p.id());
        }
    }

    @AfterAll
    static void stop() {
        if (praas != null) {
            praas.close();
        }
        if (cp != null) {
            cp.close();
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesSigkillDuringLoad() throws Exception {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("under-load"));
        List<String> acknowledged = load(p, "before", 300);

        ProcessInfo back = awaitRestarted(p.id());
        assertThat(back.id()).isEqualTo(p.id());
        assertAllThere(back, acknowledged);
    }

    @Test
    void anSdkClientCarriesOnWithItsProcessRestartedFromTheJournal() throws Exception {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("reconnecting"));
        try (ProcessClient c = praas.connect(p)) {
            assertThat(c.invoke("putState", "kept=yes", Codecs.utf8(), Codecs.utf8())).isEqualTo("ok");
            ProcessHandle os = ControlPlanes.osProcess(cp, APP, p.id());
            os.destroyForcibly();
            os.onExit().get(30, TimeUnit.SECONDS);
            Thread.sleep(200); // the client sees its connection close: the next request waits for the reconnect

            assertThat(c.invoke("getState", "kept", Codecs.utf8(), Codecs.utf8()))
                    .as("served by the restarted process, which the client found while it was ALLOCATING")
                    .isEqualTo("yes");
            assertThat(c.isOpen()).isTrue();
        }
        ProcessInfo back = praas.getProcess(APP, p.id());
        assertThat(back.transitions()).extracting(t -> t.status())
                .containsSubsequence(ProcessStatus.ACTIVE, ProcessStatus.ALLOCATING, ProcessStatus.ACTIVE);
    }

    @Test
    void aRestartThatFailsIsTriedAgainAndTheJournalStillComesBack() throws Exception {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("second-wind"));
        Path marker = io.praas.controlplane.swapapp.Fragile.doomedMarker(p.id());
        try {
            try (ProcessClient c = plainClient(p)) {
                assertThat(c.invoke("putState", "kept=yes", Codecs.utf8(), Codecs.utf8())).isEqualTo("ok");
            }
            java.nio.file.Files.createFile(marker); // its next start cannot load its functions
            ControlPlanes.osProcess(cp, APP, p.id()).destroyForcibly();

            // The try fails; the process stays ALLOCATING (clients waiting for it keep waiting), the try noted.
            ProcessInfo between = eventually(Duration.ofSeconds(30), () -> praas.getProcess(APP, p.id()),
                    r -> r.failure() != null && r.failure().contains("a try failed"), "a restart that failed");
            assertThat(between.status()).isEqualTo(ProcessStatus.ALLOCATING);
            java.nio.file.Files.delete(marker); // the next try can start

            ProcessInfo back = eventually(Duration.ofSeconds(60), () -> praas.getProcess(APP, p.id()),
                    r -> r.status() == ProcessStatus.ACTIVE
                            && r.transitions().stream().filter(t -> t.status() == ProcessStatus.ACTIVE).count() >= 2,
                    "process " + p.id() + " restarted from its journal after a failed try");
            assertThat(back.transitions()).extracting(t -> t.status()).containsSubsequence(ProcessStatus.ACTIVE,
                    ProcessStatus.ALLOCATING, ProcessStatus.ACTIVE).doesNotContain(ProcessStatus.FAILED);
            assertAllThere(back, List.of("kept=yes"));
        } finally {
            java.nio.file.Files.deleteIfExists(marker);
        }
    }

    @Test
    void writesBeforeAndAfterASwapSurviveSigkillFromSnapshotPlusJournal() throws Exception {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("swapped-then-killed"));
        List<String> beforeSwap = write(p, "early", 50);
        assertThat(journalEntries(p.id())).isGreaterThanOrEqualTo(50);
        praas.swapOut(APP, p.id());
        assertThat(journalEntries(p.id())).as("the journal is emptied once the snapshot is committed").isZero();
        ProcessInfo in = praas.swapIn(APP, p.id());
        List<String> afterSwap = load(in, "late", 100);

        ProcessInfo back = awaitRestarted(p.id());
        List<String> all = new ArrayList<>(beforeSwap);
        all.addAll(afterSwap);
        assertAllThere(back, all);
    }

    @Test
    void aProcessKilledWhileItSwapsOutRestartsFromItsJournalWithEveryWrite() throws Exception {
        ProcessInfo p = praas.createProcess(APP, ProcessSpec.named("killed-swapping-out"));
        List<String> written = write(p, "kept", 50);
        ProcessHandle os = ControlPlanes.osProcess(cp, APP, p.id());
        CompletableFuture<ProcessInfo> swap;
        try (ProcessClient c = plainClient(p)) {
            c.invokeAsync("slow", "30000:never=written".getBytes(StandardCharsets.UTF_8)); // holds up the drain
            eventually(Duration.ofSeconds(10), () -> cp.lifecycle().process(APP, p.id()).metrics().inFlight(),
                    n -> n > 0, "the invocation running on the process (its heartbeat says so)");
            swap = CompletableFuture.supplyAsync(() -> praas.swapOut(APP, p.id()));
            eventually(Duration.ofSeconds(10), () -> praas.getProcess(APP, p.id()).status(),
                    s -> s == ProcessStatus.SWAPPING_OUT, "SWAPPING_OUT");
            os.destroyForcibly();
        }

        Throwable failed = org.assertj.core.api.Assertions.catchThrowable(swap::join);
        assertThat(failed).hasCauseInstanceOf(io.praas.client.PraasException.class);
        assertThat(failed.getCause()).hasMessageContaining("did not finish its swap-out");
        ProcessInfo back = awaitRestarted(p.id());
        assertThat(back.snapshot()).as("nothing was committed").isNull();
        assertAllThere(back, written);
    }

    @Test
    void aNewProcessOfADeletedOnesNameDoesNotReplayAJournalLeftBehind() throws Exception {
        ProcessInfo first = praas.createProcess(APP, ProcessSpec.named("reborn"));
        write(first, "old", 3);
        Path journals = dataDir.resolve("journals").resolve(APP).resolve("reborn");
        Path aside = dataDir.resolve("aside-" + System.nanoTime());
        copyTree(journals, aside);
        praas.deleteProcess(APP, first.id());
        // As if it had been deleted through another node: this node's copy of its journal stays.
        copyTree(aside, journals);

        ProcessInfo second = praas.createProcess(APP, ProcessSpec.named("reborn"));

        try (ProcessClient c = plainClient(second)) {
            assertThat(c.invoke("getState", "old0", Codecs.utf8(), Codecs.utf8())).isEqualTo("<none>");
        }
        try (java.util.stream.Stream<Path> left = java.nio.file.Files.list(journals)) {
            assertThat(left.toList()).as("only the new process's journal").hasSize(1);
        }
        praas.deleteProcess(APP, second.id());
    }

    /** The changes in the journal of process {@code id} (its only one on this node; 0 when it has none). */
    private static long journalEntries(String id) throws java.io.IOException {
        Path dir;
        try (java.util.stream.Stream<Path> journals = java.nio.file.Files.list(dataDir.resolve("journals").resolve(APP)
                .resolve(id))) {
            dir = journals.findFirst().orElse(null);
        }
        if (dir == null) {
            return 0; // removed whole (the control plane does so after a committed swap-out)
        }
        io.praas.process.journal.Journal journal = io.praas.process.journal.Journal.open(dir);
        try {
            return journal.entries();
        } finally {
            journal.close();
        }
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(target);
                } else {
                    java.nio.file.Files.copy(f, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Writes {@code count} keys one by one; returns them as key=value. */
    private static List<String> write(ProcessInfo p, String prefix, int count) {
        List<String> written = new ArrayList<>();
        try (ProcessClient c = plainClient(p)) {
            for (int i = 0; i < count; i++) {
                String kv = prefix + i + "=" + i;
                assertThat(c.invoke("putState", kv, Codecs.utf8(), Codecs.utf8())).isEqualTo("ok");
                written.add(kv);
            }
        }
        return written;
    }

    /** Writes concurrently and SIGKILLs the process once {@code killAfter} writes are acknowledged. */
    private static List<String> load(ProcessInfo p, String prefix, int killAfter) throws Exception {
        List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<?>> calls = new ArrayList<>();
        Semaphore window = new Semaphore(16);
        ProcessHandle os = ControlPlanes.osProcess(cp, APP, p.id());
        try (ProcessClient c = plainClient(p)) {
            for (int i = 0; i < 20_000 && os.isAlive(); i++) {
                String kv = prefix + i + "=" + i;
                window.acquire();
                calls.add(c.invokeAsync("putState", kv.getBytes(StandardCharsets.UTF_8)).whenComplete((out, err) -> {
                    if (err == null) {
                        acknowledged.add(kv);
                    }
                    window.release();
                }));
                if (acknowledged.size() >= killAfter && os.isAlive()) {
                    os.destroyForcibly(); // SIGKILL mid-load
                }
            }
            for (CompletableFuture<?> f : calls) {
                try {
                    f.join();
                } catch (RuntimeException lost) {
                    // in flight when the process died: never acknowledged
                }
            }
        }
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(killAfter);
        return List.copyOf(acknowledged);
    }

    private static ProcessInfo awaitRestarted(String id) {
        return eventually(Duration.ofSeconds(60), () -> praas.getProcess(APP, id),
                p -> p.status() == ProcessStatus.ACTIVE && p.transitions().size() >= 2
                        && p.transitions().get(p.transitions().size() - 2).status() == ProcessStatus.ALLOCATING
                        && p.transitions().stream().filter(t -> t.status() == ProcessStatus.ACTIVE).count() >= 2,
                "process " + id + " restarted from its journal and ACTIVE");
    }

    private static void assertAllThere(ProcessInfo p, List<String> written) {
        try (ProcessClient c = plainClient(praas.getProcess(APP, p.id()))) {
            for (String kv : written) {
                String key = kv.substring(0, kv.indexOf('='));
                assertThat(c.invoke("getState", key, Codecs.utf8(), Codecs.utf8()))
                        .as("acknowledged write %s", kv).isEqualTo(kv.substring(kv.indexOf('=') + 1));
            }
        }
    }

    /** A data-plane client without a reconnector: a lost process shows as errors, not retries. */
    private static ProcessClient plainClient(ProcessInfo p) {
        return ProcessClient.builder()
                .address(p.endpoint().host(), p.endpoint().port())
                .application(APP)
                .token(praas.issueToken(APP, p.id(), Duration.ofHours(1)).token())
                .timeout(Duration.ofSeconds(15))
                .connect();
    }
}
