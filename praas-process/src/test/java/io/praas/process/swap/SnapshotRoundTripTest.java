package io.praas.process.swap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.praas.codec.KryoCodec;
import io.praas.process.messaging.Mailbox;
import io.praas.process.session.Session;
import io.praas.process.session.SessionRegistry;
import io.praas.process.state.KeyValueStore;
import io.praas.process.state.StateBudget;
import io.praas.process.storage.S3Settings;
import io.praas.process.storage.TestObjectStore;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Swap snapshots against a real S3 API (S3Proxy on a temporary directory): what a process writes
 * comes back byte for byte into fresh stores; parts, checksums, generations and the manifest behave
 * as SNAPSHOT.md says; corrupt, missing and uncommitted snapshots are never restored.
 */
class SnapshotRoundTripTest {
    private static final String ACCESS_KEY = "snapshot-test";
    private static final String SECRET_KEY = "snapshot-test-secret";
    private static final String BUCKET = "praas-swaps";
    private static final String APP = "shop";
    private static final int MIB = 1024 * 1024;
    private static final int PART_SIZE = 5 * MIB;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger PROCESSES = new AtomicInteger();

    @TempDir
    static Path blobs;
    private static S3Proxy proxy;
    private static S3Settings store;
    private static S3Client s3;

    @BeforeAll
    static void startObjectStore() throws Exception {
        proxy = TestObjectStore.start(blobs.resolve("main"), 0, ACCESS_KEY, SECRET_KEY);
        store = TestObjectStore.settings(proxy, BUCKET, ACCESS_KEY, SECRET_KEY);
        s3 = store.client();
        s3.createBucket(b -> b.bucket(BUCKET));
    }

    @AfterAll
    static void stopObjectStore() {
        if (s3 != null) {
            s3.close();
        }
        if (proxy != null) {
            stopProxy(proxy);
        }
    }

    @Test
    void undeliveredMailboxMessagesComeBackInArrivalOrder() throws Exception {
        String process = newProcessId();
        State original = new State();
        original.mailbox.deliver("p-2", "task", "first".getBytes());
        original.mailbox.deliver("p-3", "task", "second".getBytes());
        original.mailbox.deliver("p-2", "other", randomBytes(50_000, 7));
        original.mailbox.deliver("p-2", "task", "third".getBytes());

        State restored = new State();
        try (Swapper swapper = swapper(process)) {
            snapshot(swapper, 1, original);
            swapper.restore(SwapManifest.manifestKey(APP, process, 1), restored.process, restored.sessions,
                    restored.mailbox);
        }

        assertThat(restored.mailbox.size()).isEqualTo(4);
        assertThat(restored.budget.usedBytes()).isEqualTo(original.budget.usedBytes());
        assertThat(new String(restored.mailbox.receive("p-2", "task", null, 0).get().data())).isEqualTo("first");
        assertThat(new String(restored.mailbox.receive(Mailbox.ANY, "task", null, 0).get().data())).isEqualTo("second");
        assertThat(new String(restored.mailbox.receive(Mailbox.ANY, "task", null, 0).get().data())).isEqualTo("third");
        assertThat(restored.mailbox.receive("p-2", "other", null, 0).get().data()).isEqualTo(randomBytes(50_000, 7));
    }

    @Test
    void restoredStoresHoldExactlyTheEntriesOfTheProcessAndEverySession() {
        String process = newProcessId();
        State original = new State();
        original.process.put("config", "eu-west, 3 replicas");
        original.process.put("hits", 41L);
        original.process.putBytes("blob", randomBytes(70_000, 1));
        for (String session : List.of("alice", "bob", "carol")) {
            var s = original.sessions.open(session).session().state();
            s.put("cart", session + "'s cart");
            s.put("items", (long) session.length());
            s.putBytes("raw", randomBytes(1000 + session.length(), session.hashCode()));
        }

        SwapManifest written;
        State restored = new State();
        try (Swapper swapper = swapper(process)) {
            written = snapshot(swapper, 1, original).manifest();
            SwapManifest read = swapper.restore(SwapManifest.manifestKey(APP, process, 1), restored.process,
                    restored.sessions, restored.mailbox);
            assertThat(read).isEqualTo(written);
        }

        assertThat(fingerprint(restored.process.snapshot())).isEqualTo(fingerprint(original.process.snapshot()));
        assertThat(restored.process.get("config", String.class)).hasValue("eu-west, 3 replicas");
        assertThat(restored.process.get("hits", Long.class)).hasValue(41L);
        assertThat(restored.sessions.all()).extracting(Session::id)
                .containsExactlyInAnyOrder("alice", "bob", "carol");
        for (String session : List.of("alice", "bob", "carol")) {
            assertThat(fingerprint(restored.sessions.get(session).state().snapshot())).as("session %s", session)
                    .isEqualTo(fingerprint(original.sessions.get(session).state().snapshot()));
        }
        assertThat(restored.sessions.get("bob").state().get("cart", String.class)).hasValue("bob's cart");
        assertThat(written.processEntries()).isEqualTo(3);
        assertThat(written.sessions()).isEqualTo(3);
        assertThat(written.sessionEntries()).isEqualTo(9);
        assertThat(written.application()).isEqualTo(APP);
        assertThat(written.processId()).isEqualTo(process);
        assertThat(written.generation()).isEqualTo(1);
        assertThat(written.stateBytes()).isEqualTo(original.budget.usedBytes());
    }

    @Test
    void multiPartSnapshotRoundTripsAndItsManifestListsEveryPartWithItsSize() throws Exception {
        String process = newProcessId();
        State original = new State();
        for (int i = 0; i < 23; i++) {
            original.process.putBytes("chunk-" + i, randomBytes(MIB, i));
        }

        State restored = new State();
        SwapManifest m;
        try (Swapper swapper = swapper(process)) {
            m = snapshot(swapper, 1, original).manifest();
            swapper.restore(SwapManifest.manifestKey(APP, process, 1), restored.process, restored.sessions, restored.mailbox);
        }

        assertThat(fingerprint(restored.process.snapshot())).isEqualTo(fingerprint(original.process.snapshot()));
        // 23 MiB of values plus keys and record headers: four full parts of 5 MiB and a shorter fifth.
        assertThat(m.partSize()).isEqualTo(PART_SIZE);
        assertThat(m.parts()).hasSize(5);
        long offset = 0;
        for (int i = 0; i < m.parts().size(); i++) {
            SwapManifest.Part p = m.parts().get(i);
            assertThat(p.number()).isEqualTo(i + 1);
            assertThat(p.offset()).isEqualTo(offset);
            assertThat(p.sha256()).isNull();
            assertThat(p.crc32c()).hasSize(8);
            if (i < m.parts().size() - 1) {
                assertThat(p.size()).as("part %d", p.number()).isEqualTo(PART_SIZE);
            } else {
                assertThat(p.size()).isBetween(1, PART_SIZE);
            }
            offset += p.size();
        }
        assertThat(offset).isEqualTo(m.totalBytes());

        // The stored objects agree with the manifest: the data object's size, each part's CRC32C at
        // its offset, the whole checksum (CRC32C of the parts' CRC32Cs, SNAPSHOT.md), and the
        // manifest as JSON lists the same parts.
        byte[] data = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(m.dataKey())).asByteArray();
        assertThat(data).hasSize((int) m.totalBytes());
        java.util.zip.CRC32C crcs = new java.util.zip.CRC32C();
        for (SwapManifest.Part p : m.parts()) {
            byte[] part = Arrays.copyOfRange(data, (int) p.offset(), (int) p.offset() + p.size());
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(part);
            assertThat(p.crc32c()).as("part %d", p.number()).isEqualTo(String.format("%08x", crc.getValue()));
            crcs.update(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        }
        assertThat(m.sha256()).isNull();
        assertThat(m.crc32c()).isEqualTo(String.format("%08x", crcs.getValue()));
        JsonNode json = JSON.readTree(s3.getObjectAsBytes(b -> b.bucket(BUCKET)
                .key(SwapManifest.manifestKey(APP, process, 1))).asByteArray());
        assertThat(json.path("format").asText()).isEqualTo("praas-swap-snapshot");
        assertThat(json.path("version").asInt()).isEqualTo(2);
        assertThat(json.path("parts")).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(json.path("parts").get(i).path("size").asLong()).isEqualTo(m.parts().get(i).size());
            assertThat(json.path("parts").get(i).has("sha256")).isFalse();
            assertThat(json.path("parts").get(i).path("crc32c").asText()).isEqualTo(m.parts().get(i).crc32c());
        }
        assertThat(json.path("totalBytes").asLong()).isEqualTo(m.totalBytes());
        assertThat(json.has("sha256")).isFalse();
        assertThat(json.path("crc32c").asText()).isEqualTo(m.crc32c());
    }

    @Test
    void aPartThatFailsToUploadStopsTheSnapshotAbortsItsUploadAndCommitsNothing() throws Exception {
        String process = newProcessId();
        Map<String, byte[]> state = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            state.put("chunk-" + i, randomBytes(MIB, 300 + i)); // 8 parts of 5 MiB
        }
        io.praas.process.storage.SignedRequests real = new io.praas.process.storage.SignedRequests(store);
        AtomicInteger partsSent = new AtomicInteger();
        io.praas.process.storage.ObjectUploads failingSecondPart = new io.praas.process.storage.ObjectUploads() {
            @Override
            public void put(String key, byte[] body, int length, int crc32c, String contentType) {
                real.put(key, body, length, crc32c, contentType);
            }

            @Override
            public String startMultipart(String key) {
                return real.startMultipart(key);
            }

            @Override
            public String uploadPart(String key, String uploadId, int number, byte[] body, int length, int crc32c) {
                partsSent.incrementAndGet();
                if (number == 2) {
                    throw new io.praas.process.storage.ObjectGets.ObjectStoreException("part 2 refused");
                }
                return real.uploadPart(key, uploadId, number, body, length, crc32c);
            }

            @Override
            public void completeMultipart(String key, String uploadId,
                                          List<io.praas.process.storage.ObjectUploads.UploadedPart> parts) {
                real.completeMultipart(key, uploadId, parts);
            }

            @Override
            public void abortMultipart(String key, String uploadId) {
                real.abortMultipart(key, uploadId);
            }

            @Override
            public int deleteUnder(String prefix, java.util.function.Predicate<String> keep) {
                return real.deleteUnder(prefix, keep);
            }

            @Override
            public int abortUploadsUnder(String prefix, java.util.function.Predicate<String> keep) {
                return real.abortUploadsUnder(prefix, keep);
            }
        };
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            SnapshotWriter writer = new SnapshotWriter(failingSecondPart, PART_SIZE, 2, pool, Clock.systemUTC());

            assertThatThrownBy(() -> writer.write(APP, process, 1, new SnapshotWriter.Content(state, Map.of(), List.of(),
                    40L * MIB))).isInstanceOf(IOException.class).hasMessageContaining("part 2 refused");

            assertThat(keys(SwapManifest.prefix(APP, process))).isEmpty(); // no manifest, no data object
            assertThat(uploads(SwapManifest.prefix(APP, process))).as("unfinished uploads").isEmpty();
            assertThat(partsSent.get()).as("parts sent after the failure was seen").isLessThan(8);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anExitingProcessRemovingOlderGenerationsKeepsTheNewerOneItsSuccessorCommitted() {
        String process = newProcessId();
        State state = new State();
        state.process.put("version", "one");
        Swapper exiting = swapper(process);
        snapshot(exiting, 1, new State());
        snapshot(exiting, 2, state); // committed; generation 1 not yet removed
        try (Swapper successor = swapper(process)) {
            state.process.put("version", "three");
            snapshot(successor, 3, state); // the process swapped in again and out again meanwhile

            exiting.close(); // removes what is older than 2, and only that

            assertThat(keys(SwapManifest.prefix(APP, process))).containsExactlyInAnyOrder(
                    SwapManifest.dataKey(APP, process, 2), SwapManifest.manifestKey(APP, process, 2),
                    SwapManifest.dataKey(APP, process, 3), SwapManifest.manifestKey(APP, process, 3));
        }
    }

    @Test
    void committingAGenerationAbortsTheUnfinishedUploadsOfItAndEarlierOnesAndKeepsLaterOnes() {
        String process = newProcessId();
        // Left by incarnations killed while they uploaded: generation 1 (older), 2 (a swap-out that never
        // committed, whose number this commit took again), and 5 (a successor's, in flight).
        String older = unfinishedUpload(SwapManifest.dataKey(APP, process, 1));
        String same = unfinishedUpload(SwapManifest.dataKey(APP, process, 2));
        String later = unfinishedUpload(SwapManifest.dataKey(APP, process, 5));
        State state = chunks(12, 7); // three parts: a multipart upload of its own
        try (Swapper swapper = swapper(process)) {
            snapshot(swapper, 2, state);
            assertThat(uploads(SwapManifest.prefix(APP, process))).containsExactlyInAnyOrder(older, same, later);

            swapper.removeOlderGenerations();

            assertThat(uploads(SwapManifest.prefix(APP, process))).containsExactly(later);
            assertThat(keys(SwapManifest.prefix(APP, process))).containsExactlyInAnyOrder(
                    SwapManifest.dataKey(APP, process, 2), SwapManifest.manifestKey(APP, process, 2));
        }
    }

    /** Starts a multipart upload of {@code key} and uploads one part, as a swap-out killed midway leaves it; returns its id. */
    private static String unfinishedUpload(String key) {
        String id = s3.createMultipartUpload(b -> b.bucket(BUCKET).key(key)).uploadId();
        s3.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(id).partNumber(1), RequestBody.fromBytes(randomBytes(1024, 3)));
        return id;
    }

    /** The ids of the unfinished multipart uploads under {@code prefix}. */
    private static List<String> uploads(String prefix) {
        return s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix)).uploads().stream()
                .map(software.amazon.awssdk.services.s3.model.MultipartUpload::uploadId).toList();
    }

    @Test
    void committingGenerationTwoRemovesTheObjectsOfGenerationOne() {
        String process = newProcessId();
        State first = new State();
        first.process.put("version", "one");
        State second = new State();
        second.process.put("version", "two");
        second.sessions.open("s-1").session().state().put("step", 2L);

        State restored = new State();
        try (Swapper swapper = swapper(process)) {
            snapshot(swapper, 1, first);
            assertThat(keys(SwapManifest.prefix(APP, process))).containsExactlyInAnyOrder(
                    SwapManifest.dataKey(APP, process, 1), SwapManifest.manifestKey(APP, process, 1));

            snapshot(swapper, 2, second);
            swapper.removeOlderGenerations();

            assertThat(keys(SwapManifest.prefix(APP, process))).containsExactlyInAnyOrder(
                    SwapManifest.dataKey(APP, process, 2), SwapManifest.manifestKey(APP, process, 2));
            assertThatThrownBy(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1), new State().process,
                    new State().sessions, new State().mailbox)).isInstanceOf(CorruptSnapshotException.class);
            SwapManifest m = swapper.restore(SwapManifest.manifestKey(APP, process, 2), restored.process,
                    restored.sessions, restored.mailbox);
            assertThat(m.generation()).isEqualTo(2);
        }
        assertThat(restored.process.get("version", String.class)).hasValue("two");
        assertThat(restored.sessions.get("s-1").state().get("step", Long.class)).hasValue(2L);
    }

    @Test
    void flippedByteInOnePartIsDetectedAndTheErrorNamesThatPart() {
        String process = newProcessId();
        State original = chunks(12, 100);
        try (Swapper swapper = swapper(process)) {
            SwapManifest m = snapshot(swapper, 1, original).manifest();
            assertThat(m.parts()).hasSize(3);
            String dataKey = m.dataKey();
            byte[] data = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(dataKey)).asByteArray();
            int inPartTwo = PART_SIZE + 12_345;
            data[inPartTwo] ^= 0x01;
            s3.putObject(b -> b.bucket(BUCKET).key(dataKey), RequestBody.fromBytes(data));

            Throwable thrown = catchThrowable(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1),
                    new State().process, new State().sessions, new State().mailbox));

            assertThat(thrown).isInstanceOf(CorruptSnapshotException.class);
            assertThat(thrown.getMessage()).contains("part 2 ").contains(dataKey).contains("CRC32C");
        }
        // The corrupt snapshot is kept for inspection.
        assertThat(keys(SwapManifest.prefix(APP, process))).containsExactlyInAnyOrder(
                SwapManifest.dataKey(APP, process, 1), SwapManifest.manifestKey(APP, process, 1));
    }

    @Test
    void aSwapperToldItsManifestFetchesTheFirstPartBesideItChecksItAndRestoresTheSame() throws Exception {
        for (int chunks : new int[] {1, 12}) { // one part (a PUT), and three parts
            String process = newProcessId();
            State original = chunks(chunks, 400);
            String manifestKey = SwapManifest.manifestKey(APP, process, 1);
            try (Swapper writer = swapper(process)) {
                snapshot(writer, 1, original);
            }
            // The same part size: the part fetched ahead is used. Another: it is fetched again.
            for (int partSize : new int[] {PART_SIZE, PART_SIZE + MIB}) {
                State restored = new State();
                try (Swapper swapIn = new Swapper(APP, process, new SwapSettings(store, partSize, 4, manifestKey),
                        Clock.systemUTC())) {
                    swapIn.restore(manifestKey, restored.process, restored.sessions, restored.mailbox);
                }
                assertThat(fingerprint(restored.process.snapshot())).as("%d chunks, parts of %d", chunks, partSize)
                        .isEqualTo(fingerprint(original.process.snapshot()));
            }
            // A flipped byte in the first part is found in the part fetched ahead too.
            SwapManifest m = SwapManifest.fromJson(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(manifestKey)).asByteArray());
            byte[] data = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(m.dataKey())).asByteArray();
            data[1234] ^= 0x08;
            s3.putObject(b -> b.bucket(BUCKET).key(m.dataKey()), RequestBody.fromBytes(data));
            try (Swapper swapIn = new Swapper(APP, process, new SwapSettings(store, PART_SIZE, 4, manifestKey),
                    Clock.systemUTC())) {
                assertThat(catchThrowable(() -> swapIn.restore(manifestKey, new State().process, new State().sessions,
                        new State().mailbox))).isInstanceOf(CorruptSnapshotException.class)
                        .hasMessageContaining("part 1 ").hasMessageContaining("CRC32C");
            }
        }
    }

    @Test
    void aSmallSnapshotComesWithAnInlineCopyALargerOneWithout() {
        String process = newProcessId();
        State small = new State();
        small.process.put("color", "teal");
        small.sessions.open("alice").session().state().put("cart", 3L);
        State larger = new State();
        larger.process.putBytes("blob", randomBytes(InlineSnapshot.MAX_DATA_BYTES, 11));
        try (Swapper swapper = swapper(process)) {
            Swapper.Result one = snapshot(swapper, 1, small);
            Swapper.Result two = snapshot(swapper, 2, larger);

            assertThat(one.inline()).as("the copy of %d bytes of data", one.manifest().totalBytes()).isNotNull();
            InlineSnapshot copy = InlineSnapshot.decode(one.inline(), APP, process, one.manifestKey());
            assertThat(copy.manifest()).isEqualTo(one.manifest());
            assertThat(copy.data()).isEqualTo(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(one.manifest().dataKey()))
                    .asByteArray());
            assertThat(two.manifest().totalBytes()).isGreaterThan(InlineSnapshot.MAX_DATA_BYTES);
            assertThat(two.inline()).isNull();
        }
        // A process whose control plane does not take copies (another backend) sends none.
        try (Swapper withoutCopies = new Swapper(APP, process, new SwapSettings(store, PART_SIZE, 4, null),
                Clock.systemUTC())) {
            assertThat(snapshot(withoutCopies, 3, small).inline()).isNull();
        }
    }

    @Test
    void aSwapperWithAnInlineCopyRestoresWithoutTheStore() throws Exception {
        String process = newProcessId();
        State original = new State();
        original.process.put("color", "teal");
        original.sessions.open("alice").session().state().put("cart", 3L);
        original.mailbox.deliver("p-2", "task", "first".getBytes());
        byte[] inline;
        try (Swapper writer = swapper(process)) {
            inline = snapshot(writer, 1, original).inline();
        }
        String manifestKey = SwapManifest.manifestKey(APP, process, 1);
        // A store that is not there: any read fails.
        S3Settings gone;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            gone = new S3Settings(java.net.URI.create("http://127.0.0.1:" + closed.getLocalPort()), "us-east-1", BUCKET,
                    ACCESS_KEY, SECRET_KEY);
        }

        State restored = new State();
        try (Swapper swapIn = new Swapper(APP, process, new SwapSettings(gone, PART_SIZE, 4, manifestKey, inline, false),
                Clock.systemUTC())) {
            swapIn.restore(manifestKey, restored.process, restored.sessions, restored.mailbox);
        }

        assertThat(restored.process.get("color", String.class)).contains("teal");
        assertThat(restored.sessions.get("alice").state().get("cart", Long.class)).contains(3L);
        assertThat(restored.budget.usedBytes()).isEqualTo(original.budget.usedBytes());
        assertThat(new String(restored.mailbox.receive("p-2", "task", null, 0).get().data())).isEqualTo("first");
        // Without the copy, the same swap-in needs the store.
        try (Swapper swapIn = new Swapper(APP, process, new SwapSettings(gone, PART_SIZE, 4, manifestKey),
                Clock.systemUTC())) {
            assertThat(catchThrowable(() -> swapIn.restore(manifestKey, new State().process, new State().sessions,
                    new State().mailbox))).isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("cannot be read");
        }
    }

    @Test
    void anInlineCopyThatFailsItsChecksIsRefusedAndTheStoreIsReadInstead() throws Exception {
        String process = newProcessId();
        State first = new State();
        first.process.put("version", "one");
        State second = new State();
        second.process.put("version", "two");
        byte[] copyOfOne;
        byte[] copyOfTwo;
        try (Swapper writer = swapper(process)) {
            copyOfOne = snapshot(writer, 1, first).inline();
            copyOfTwo = snapshot(writer, 2, second).inline();
        }
        String two = SwapManifest.manifestKey(APP, process, 2);
        byte[] flipped = copyOfTwo.clone();
        flipped[flipped.length - 3] ^= 0x20; // in the data
        byte[] cut = Arrays.copyOf(copyOfTwo, copyOfTwo.length - 1);
        byte[] badLength = copyOfTwo.clone();
        badLength[0] = 0x7f;

        assertThat(catchThrowable(() -> InlineSnapshot.decode(flipped, APP, process, two)))
                .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("CRC32C");
        assertThat(catchThrowable(() -> InlineSnapshot.decode(cut, APP, process, two)))
                .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("bytes of data");
        assertThat(catchThrowable(() -> InlineSnapshot.decode(badLength, APP, process, two)))
                .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("announces a manifest");
        assertThat(catchThrowable(() -> InlineSnapshot.decode(copyOfOne, APP, process, two)))
                .as("a copy of another generation").isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("generation 1");
        assertThat(catchThrowable(() -> InlineSnapshot.decode(copyOfTwo, APP, "p-other", two)))
                .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("not " + two);
        assertThat(catchThrowable(() -> InlineSnapshot.decode(new byte[] {1, 2}, APP, process, two)))
                .isInstanceOf(CorruptSnapshotException.class);

        for (byte[] refused : List.of(flipped, cut, badLength, copyOfOne, new byte[] {1, 2})) {
            State restored = new State();
            try (Swapper swapIn = new Swapper(APP, process, new SwapSettings(store, PART_SIZE, 4, two, refused, false),
                    Clock.systemUTC())) {
                swapIn.restore(two, restored.process, restored.sessions, restored.mailbox);
            }
            assertThat(restored.process.get("version", String.class)).as("restored from the store").contains("two");
        }
    }

    @Test
    void theReaderUsesAFirstPartOfItsSizeFetchesAnyOtherAgainAndRefusesACorruptOne() throws Exception {
        String process = newProcessId();
        State original = chunks(12, 500);
        SwapManifest m;
        try (Swapper writer = swapper(process)) {
            m = snapshot(writer, 1, original).manifest();
        }
        byte[] part1 = Arrays.copyOf(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(m.dataKey())).asByteArray(),
                m.parts().get(0).size());
        io.praas.process.storage.SignedRequests real = new io.praas.process.storage.SignedRequests(store);
        List<Long> offsets = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.praas.process.storage.ObjectGets counting = new io.praas.process.storage.ObjectGets() {
            @Override
            public byte[] get(String key) {
                return real.get(key);
            }

            @Override
            public byte[] getRange(String key, long offset, long size) {
                offsets.add(offset);
                return real.getRange(key, offset, size);
            }
        };
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            SnapshotReader reader = new SnapshotReader(counting, 4, pool);
            // Its size: used, part 1 is not fetched.
            State used = restoreWith(reader, m, java.util.concurrent.CompletableFuture.completedFuture(part1));
            assertThat(fingerprint(used.process.snapshot())).isEqualTo(fingerprint(original.process.snapshot()));
            assertThat(offsets).doesNotContain(0L).hasSize(m.parts().size() - 1);
            // Another size, or a failed GET: part 1 is fetched (once).
            for (java.util.concurrent.CompletableFuture<byte[]> ahead : List.of(
                    java.util.concurrent.CompletableFuture.completedFuture(Arrays.copyOf(part1, part1.length - 1)),
                    java.util.concurrent.CompletableFuture.<byte[]>failedFuture(new IllegalStateException("store down")))) {
                offsets.clear();
                State again = restoreWith(reader, m, ahead);
                assertThat(fingerprint(again.process.snapshot())).isEqualTo(fingerprint(original.process.snapshot()));
                assertThat(offsets).containsOnlyOnce(0L).hasSize(m.parts().size());
            }
            // Its size but corrupt: refused like a corrupt part from the store (not fetched again).
            byte[] corrupt = part1.clone();
            corrupt[4321] ^= 0x10;
            offsets.clear();
            assertThat(catchThrowable(() -> restoreWith(reader, m,
                    java.util.concurrent.CompletableFuture.completedFuture(corrupt))))
                    .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("part 1 ");
            assertThat(offsets).doesNotContain(0L);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A process state of {@code count} values of 1 MiB of random bytes, "chunk-0" on, seeded from {@code seed}. */
    private static State chunks(int count, long seed) {
        State state = new State();
        for (int i = 0; i < count; i++) {
            state.process.putBytes("chunk-" + i, randomBytes(MIB, seed + i));
        }
        return state;
    }

    private static State restoreWith(SnapshotReader reader, SwapManifest m,
                                     java.util.concurrent.CompletableFuture<byte[]> firstPart) {
        State s = new State();
        reader.restore(m, firstPart, new SnapshotReader.Sink() {
            @Override
            public void processEntry(String key, byte[] value) {
                s.process.adoptBytes(key, value);
            }

            @Override
            public void session(String sessionId) {
                s.sessions.open(sessionId);
            }

            @Override
            public void sessionEntry(String sessionId, String key, byte[] value) {
                s.sessions.get(sessionId).state().adoptBytes(key, value);
            }

            @Override
            public void mailboxMessage(String from, String key, byte[] data) {
                s.mailbox.restore(0, from, key, data);
            }
        });
        return s;
    }

    @Test
    void aFirstPartFetchedAheadOfAMissingSnapshotFailsAsAMissingSnapshot() {
        String process = newProcessId();
        String manifestKey = SwapManifest.manifestKey(APP, process, 7);
        try (Swapper swapIn = new Swapper(APP, process, new SwapSettings(store, PART_SIZE, 4, manifestKey),
                Clock.systemUTC())) {
            assertThat(catchThrowable(() -> swapIn.restore(manifestKey, new State().process, new State().sessions,
                    new State().mailbox))).isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("does not exist");
        }
        assertThat(SwapManifest.dataKeyOf(manifestKey)).isEqualTo(SwapManifest.dataKey(APP, process, 7));
        assertThat(SwapManifest.dataKeyOf("swaps/shop/p-1/notes.txt")).isNull();
    }

    @Test
    void aVersionOneSnapshotIsStillRestoredAndItsPartsCheckedBySha256() throws Exception {
        String process = newProcessId();
        State original = chunks(12, 200);
        try (Swapper swapper = swapper(process)) {
            SwapManifest m = snapshot(swapper, 1, original).manifest();
            // The manifest as version 1 wrote it: the same stream, parts listed with their SHA-256.
            byte[] stored = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(m.dataKey())).asByteArray();
            List<SwapManifest.Part> v1Parts = m.parts().stream().map(p -> new SwapManifest.Part(p.number(), p.offset(),
                    p.size(), sha256(Arrays.copyOfRange(stored, (int) p.offset(), (int) p.offset() + p.size())), null))
                    .toList();
            storeManifest(process, m, 1, v1Parts, m.totalBytes(), SnapshotFormat.composite(v1Parts), null);

            State restored = new State();
            swapper.restore(SwapManifest.manifestKey(APP, process, 1), restored.process, restored.sessions,
                    restored.mailbox);
            assertThat(fingerprint(restored.process.snapshot())).isEqualTo(fingerprint(original.process.snapshot()));

            byte[] data = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(m.dataKey())).asByteArray();
            data[2 * PART_SIZE + 7] ^= 0x40;
            s3.putObject(b -> b.bucket(BUCKET).key(m.dataKey()), RequestBody.fromBytes(data));
            Throwable thrown = catchThrowable(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1),
                    new State().process, new State().sessions, new State().mailbox));
            assertThat(thrown).isInstanceOf(CorruptSnapshotException.class);
            assertThat(thrown.getMessage()).contains("part 3 ").contains("SHA-256");
        }
    }

    @Test
    void aVersionTwoManifestWithoutCrcsOrWithAWrongWholeCrcIsRefused() throws Exception {
        String process = newProcessId();
        State original = new State();
        original.process.putBytes("k", randomBytes(3 * MIB, 7));
        try (Swapper swapper = swapper(process)) {
            SwapManifest m = snapshot(swapper, 1, original).manifest();
            List<SwapManifest.Part> noCrc = m.parts().stream()
                    .map(p -> new SwapManifest.Part(p.number(), p.offset(), p.size(), "ab".repeat(32), null)).toList();
            storeManifest(process, m, 2, noCrc, m.totalBytes(), "cd".repeat(32), m.crc32c());
            assertThat(catchThrowable(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1),
                    new State().process, new State().sessions, new State().mailbox)))
                    .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("does not list the CRC32C");

            String wrong = m.crc32c().equals("00000000") ? "00000001" : "00000000";
            storeManifest(process, m, 2, m.parts(), m.totalBytes(), m.sha256(), wrong);
            State restored = new State();
            assertThat(catchThrowable(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1),
                    restored.process, restored.sessions, restored.mailbox)))
                    .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("checksum mismatch")
                    .hasMessageContaining("CRC32C " + m.crc32c()).hasMessageContaining("says " + wrong);

            storeManifest(process, m, 3, m.parts(), m.totalBytes(), m.sha256(), m.crc32c());
            assertThat(catchThrowable(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1),
                    new State().process, new State().sessions, new State().mailbox)))
                    .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("v3")
                    .hasMessageContaining("reads praas-swap-snapshot v1 to v2");
        }
    }

    @Test
    void valueLengthBeyondTheStreamIsACorruptSnapshotNotAnAllocation() throws Exception {
        String process = newProcessId();
        State original = new State();
        original.process.putBytes("k", new byte[] {1, 2, 3});
        try (Swapper swapper = swapper(process)) {
            SwapManifest m = snapshot(swapper, 1, original).manifest();
            // Checksums that match a stream whose only value claims 2 GiB less a little: written that
            // way, it passes every digest, and only the length check stands between it and the heap.
            byte[] data = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(m.dataKey())).asByteArray();
            int lengthAt = SnapshotFormat.MAGIC.length + 2 + 1 + 2 + 1;
            java.nio.ByteBuffer.wrap(data).putInt(lengthAt, Integer.MAX_VALUE - 16);
            s3.putObject(b -> b.bucket(BUCKET).key(m.dataKey()), RequestBody.fromBytes(data));
            List<SwapManifest.Part> parts = List.of(new SwapManifest.Part(1, 0, data.length, null,
                    SnapshotFormat.hex(SnapshotFormat.crc32c(data, data.length))));
            storeManifest(process, m, parts, data.length);

            State restored = new State();
            Throwable thrown = catchThrowable(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1),
                    restored.process, restored.sessions, restored.mailbox));

            assertThat(thrown).isInstanceOf(CorruptSnapshotException.class);
            assertThat(thrown.getMessage()).contains("value of " + (Integer.MAX_VALUE - 16) + " bytes");
            assertThat(restored.process.keys()).isEmpty();
        }
    }

    @Test
    void manifestWhosePartsDoNotTileTheStreamIsACorruptSnapshot() throws Exception {
        String process = newProcessId();
        State original = new State();
        original.process.putBytes("k", new byte[] {1, 2, 3});
        try (Swapper swapper = swapper(process)) {
            SwapManifest m = snapshot(swapper, 1, original).manifest();
            SwapManifest.Part only = m.parts().get(0);
            long claimed = m.totalBytes() + 1_000_000;
            storeManifest(process, m, m.parts(), claimed);

            State restored = new State();
            Throwable thrown = catchThrowable(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1),
                    restored.process, restored.sessions, restored.mailbox));

            assertThat(thrown).isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("parts of " + only.size() + " bytes but a stream of " + claimed);
            assertThat(restored.process.keys()).isEmpty();
        }
    }

    @Test
    void unreachableStoreAtSwapInIsAFailedRestoreNotAnUnhandledError() {
        S3Settings nowhere = new S3Settings(java.net.URI.create("http://127.0.0.1:1"), "us-east-1", BUCKET, ACCESS_KEY,
                SECRET_KEY);
        try (Swapper swapper = new Swapper(APP, newProcessId(), new SwapSettings(nowhere, PART_SIZE, 2, null),
                Clock.systemUTC())) {
            State restored = new State();
            Throwable thrown = catchThrowable(() -> swapper.restore(SwapManifest.manifestKey(APP, "p-x", 1),
                    restored.process, restored.sessions, restored.mailbox));

            assertThat(thrown).isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("cannot be read")
                    .hasMessageContaining("127.0.0.1:1");
        }
    }

    @Test
    void missingManifestIsACorruptSnapshot() {
        String process = newProcessId();
        String manifestKey = SwapManifest.manifestKey(APP, process, 1);
        try (Swapper swapper = swapper(process)) {
            Throwable thrown = catchThrowable(() -> swapper.restore(manifestKey, new State().process,
                    new State().sessions, new State().mailbox));

            assertThat(thrown).isInstanceOf(CorruptSnapshotException.class);
            assertThat(thrown.getMessage()).contains(manifestKey).contains("does not exist");
        }
    }

    @Test
    void dataObjectWhoseManifestIsMissingIsNeverRestored() {
        String process = newProcessId();
        State original = new State();
        original.process.put("secret", "never half-restored");
        original.sessions.open("s-1").session().state().put("n", 1L);
        State restored = new State();
        try (Swapper swapper = swapper(process)) {
            snapshot(swapper, 1, original);
            s3.deleteObject(b -> b.bucket(BUCKET).key(SwapManifest.manifestKey(APP, process, 1)));
            assertThat(keys(SwapManifest.prefix(APP, process))).containsExactly(SwapManifest.dataKey(APP, process, 1));

            assertThatThrownBy(() -> swapper.restore(SwapManifest.manifestKey(APP, process, 1), restored.process,
                    restored.sessions, restored.mailbox)).isInstanceOf(CorruptSnapshotException.class);
        }
        assertThat(restored.process.keys()).isEmpty();
        assertThat(restored.sessions.size()).isZero();
    }

    @Test
    void uploadAgainstAStoppedStoreFailsWithIOExceptionAndLeavesNoManifest() throws Exception {
        Path dir = blobs.resolve("stopped");
        S3Proxy own = TestObjectStore.start(dir, 0, ACCESS_KEY, SECRET_KEY);
        int port = own.getPort();
        S3Settings settings = TestObjectStore.settings(own, BUCKET, ACCESS_KEY, SECRET_KEY);
        try (S3Client client = settings.client()) {
            client.createBucket(b -> b.bucket(BUCKET));
        }
        stopProxy(own);
        String process = newProcessId();
        State original = new State();
        original.process.putBytes("big", randomBytes(6 * MIB, 7));

        Throwable thrown;
        try (Swapper swapper = new Swapper(APP, process, new SwapSettings(settings, PART_SIZE, 2, null),
                Clock.systemUTC())) {
            thrown = catchThrowable(() -> swapper.snapshot(1, original.process, original.sessions, original.mailbox,
                    original.budget.usedBytes()));
        }

        S3Proxy again = TestObjectStore.start(dir, port, ACCESS_KEY, SECRET_KEY); // the same store, back, to see what the failed upload left
        try (S3Client client = settings.client()) {
            List<String> left = client.listObjectsV2(b -> b.bucket(BUCKET).prefix(SwapManifest.prefix(APP, process)))
                    .contents().stream().map(S3Object::key).toList();
            assertThat(left).doesNotContain(SwapManifest.manifestKey(APP, process, 1));
        } finally {
            stopProxy(again);
        }
        assertThat(thrown).as("the failure of a snapshot upload against a stopped store").isInstanceOf(IOException.class);
    }

    // ---- helpers

    /** A process's stores: process state and sessions sharing one budget. */
    private static final class State {
        final StateBudget budget = new StateBudget(256L * MIB);
        final KryoCodec kryo = new KryoCodec(SnapshotRoundTripTest.class.getClassLoader());
        final KeyValueStore process = new KeyValueStore(budget, kryo);
        final SessionRegistry sessions = new SessionRegistry(budget, kryo, 100);
        final io.praas.process.messaging.Mailbox mailbox = new io.praas.process.messaging.Mailbox(budget);
    }

    private static Swapper swapper(String process) {
        return new Swapper(APP, process, new SwapSettings(store, PART_SIZE, 4, null, null, true), Clock.systemUTC());
    }

    private static Swapper.Result snapshot(Swapper swapper, long generation, State state) {
        try {
            return swapper.snapshot(generation, state.process, state.sessions, state.mailbox, state.budget.usedBytes());
        } catch (IOException e) {
            throw new AssertionError("snapshot " + generation + " failed", e);
        }
    }

    /**
     * Stores {@code m} (version 2) with other parts and byte count as the manifest of generation 1 of
     * {@code process}; its whole CRC32C is the parts'.
     */
    private static void storeManifest(String process, SwapManifest m, List<SwapManifest.Part> parts, long totalBytes)
            throws IOException {
        storeManifest(process, m, m.version(), parts, totalBytes, null, SnapshotFormat.compositeCrc32c(parts));
    }

    private static void storeManifest(String process, SwapManifest m, int version, List<SwapManifest.Part> parts,
                                      long totalBytes, String sha256, String crc32c) throws IOException {
        SwapManifest changed = new SwapManifest(m.format(), version, m.application(), m.processId(), m.generation(),
                m.createdAt(), m.dataKey(), m.partSize(), parts, totalBytes, sha256, crc32c, m.processEntries(),
                m.sessions(), m.sessionEntries(), m.stateBytes());
        s3.putObject(b -> b.bucket(BUCKET).key(SwapManifest.manifestKey(APP, process, 1)),
                RequestBody.fromBytes(changed.toJson()));
    }

    private static String newProcessId() {
        return "p-" + PROCESSES.incrementAndGet();
    }

    private static List<String> keys(String prefix) {
        return s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream().map(S3Object::key).toList();
    }

    private static void stopProxy(S3Proxy p) {
        TestObjectStore.stop(p);
        assertThat(p.getState()).isIn("STOPPED", "FAILED");
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Each value's SHA-256 by key: byte arrays compared by content, and short to print. */
    private static Map<String, String> fingerprint(Map<String, byte[]> entries) {
        Map<String, String> f = new TreeMap<>();
        entries.forEach((k, v) -> f.put(k, sha256(v)));
        return f;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
