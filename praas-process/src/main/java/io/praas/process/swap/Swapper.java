package io.praas.process.swap;

import io.praas.process.messaging.Mailbox;

import io.praas.process.session.Session;
import io.praas.process.storage.ObjectGets;
import io.praas.process.storage.ObjectUploads;
import io.praas.process.storage.SignedRequests;
import io.praas.process.session.SessionRegistry;
import io.praas.process.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Writes and restores one process's swap snapshots (format in SNAPSHOT.md), and removes older
 * generations once a newer one is committed.
 */
public final class Swapper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Swapper.class);

    private final String application;
    private final String processId;
    private final SwapSettings settings;
    /**
     * Only for stores that {@link SignedRequests} cannot reach (AWS itself, credentials from the AWS
     * chain). Built on a background thread ({@link #startClient}): an S3 client takes most of a
     * second of CPU to build and its first request longer, which a start should not wait for and a
     * swap-out should not pay. The process starts it once it serves, so that it competes neither with
     * the restore nor with registration for the cores; a restore through it starts it at once.
     */
    private final java.util.concurrent.CompletableFuture<S3Client> client = new java.util.concurrent.CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicBoolean clientStarted = new java.util.concurrent.atomic.AtomicBoolean();
    private final ExecutorService transfers;
    private final Clock clock;
    /** How a restore reads the snapshot: signed GETs where they can, so it need not wait for {@link #client}. */
    private final ObjectGets restoreGets;
    /** How a swap-out writes its snapshot: signed requests where they can, so it need not wait for {@link #client}. */
    private final ObjectUploads uploads;
    /** The generation last committed whose older generations are still to be removed; 0 when none. */
    private final java.util.concurrent.atomic.AtomicLong committed = new java.util.concurrent.atomic.AtomicLong();
    /**
     * The manifest of the snapshot to restore, fetched and parsed while the functions load (a cold
     * signed GET and parse take ~100 ms); null for a fresh process.
     */
    private final CompletableFuture<SwapManifest> manifestAhead;
    /**
     * The first part of the snapshot to restore, fetched beside its manifest rather than after it
     * (one round trip instead of two for a state that fits in a part); null for a fresh process. It
     * assumes the manifest's part size is this process's; the reader checks it against the manifest.
     */
    private final java.util.concurrent.atomic.AtomicReference<CompletableFuture<byte[]>> firstPartAhead;

    public Swapper(String application, String processId, SwapSettings settings, Clock clock) {
        this.application = application;
        this.processId = processId;
        this.settings = settings;
        this.clock = clock;
        this.restoreGets = ObjectGets.forRestore(settings.store(), this::s3);
        this.uploads = ObjectUploads.forSnapshots(settings.store(), this::s3);
        this.transfers = Executors.newFixedThreadPool(settings.parallelism(), r -> {
            Thread t = new Thread(r, "praas-swap-transfer");
            t.setDaemon(true);
            return t;
        });
        String manifestKey = settings.restoreManifest();
        if (manifestKey == null) {
            this.manifestAhead = null;
            this.firstPartAhead = new java.util.concurrent.atomic.AtomicReference<>();
            return;
        }
        // The control plane's copy of the snapshot to restore, if it sent one, is checked beside the
        // functions' loading; the store is read when there is none or it fails its checks (a
        // restore through the SDK client starts building it with its first GET).
        CompletableFuture<InlineSnapshot> inline = settings.restoreInline() == null
                ? CompletableFuture.completedFuture(null)
                : CompletableFuture.supplyAsync(() -> inlineCopy(manifestKey, settings.restoreInline()),
                        Swapper::daemonThread);
        String dataKey = SwapManifest.dataKeyOf(manifestKey);
        this.manifestAhead = inline.thenCompose(in -> in != null ? CompletableFuture.completedFuture(in.manifest())
                : CompletableFuture.supplyAsync(() -> new SnapshotReader(restoreGets, settings.parallelism(), transfers)
                        .manifest(manifestKey), Swapper::daemonThread));
        this.firstPartAhead = new java.util.concurrent.atomic.AtomicReference<>(inline.thenCompose(in -> in != null
                ? CompletableFuture.completedFuture(in.data())
                : CompletableFuture.supplyAsync(() -> restoreGets.getRange(dataKey, 0, settings.partSize()), transfers)));
    }

    /** The inline copy of the snapshot at {@code manifestKey} if it passes its checks, else null. */
    private InlineSnapshot inlineCopy(String manifestKey, byte[] copy) {
        if (copy.length == 0) {
            return null;
        }
        try {
            return InlineSnapshot.decode(copy, application, processId, manifestKey);
        } catch (RuntimeException e) { // CorruptSnapshotException, or whatever bad bytes may throw
            LOG.warn("process {}: not restoring from the inline copy ({}); reading the store", processId, e.getMessage());
            return null;
        }
    }

    /**
     * Builds the S3 client on a thread of its own, once, if this swapper needs one: not when every
     * request goes through {@link SignedRequests}. A request that needs it first starts it itself.
     */
    public void startClient() {
        if (SignedRequests.usableFor(settings.store())) {
            return;
        }
        startBuildingClient();
    }

    private void startBuildingClient() {
        if (!clientStarted.compareAndSet(false, true)) {
            return;
        }
        daemonThread(() -> {
            try {
                S3Client c = settings.store().client();
                try {
                    c.headBucket(b -> b.bucket(settings.store().bucket())); // warms the request path
                } catch (RuntimeException e) {
                    LOG.warn("process {}: object store not reachable yet: {}", processId, e.toString());
                }
                client.complete(c);
            } catch (RuntimeException | Error e) {
                client.completeExceptionally(e);
            }
        });
    }

    private static void daemonThread(Runnable r) {
        Thread t = new Thread(r, "praas-swap-start");
        t.setDaemon(true);
        t.start();
    }

    /** The outcome of a swap-out; {@code inline} is its {@link InlineSnapshot} copy, or null when it is larger. */
    public record Result(SwapManifest manifest, String manifestKey, Duration duration, byte[] inline) {
    }

    /**
     * Writes the state as snapshot {@code generation}. Older generations are removed when this
     * swapper closes (the process exits after its answer), so that listing and deleting them does
     * not delay the swap-out's answer.
     */
    public Result snapshot(long generation, KeyValueStore processState, SessionRegistry sessions, Mailbox mailbox,
                           long stateBytes) throws IOException {
        long start = System.nanoTime();
        Map<String, Map<String, byte[]>> sessionStates = new LinkedHashMap<>();
        for (Session s : sessions.all()) {
            sessionStates.put(s.id(), s.state().snapshot());
        }
        SnapshotWriter writer = new SnapshotWriter(uploads, settings.partSize(), settings.parallelism(), transfers, clock);
        SwapManifest m = writer.write(application, processId, generation,
                new SnapshotWriter.Content(processState.snapshot(), sessionStates, mailbox.snapshot(), stateBytes));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        LOG.info("process {}: snapshot generation {} committed: {} bytes in {} parts, {} ms", processId, generation,
                m.totalBytes(), m.parts().size(), took.toMillis());
        committed.set(generation);
        return new Result(m, SwapManifest.manifestKey(application, processId, generation), took,
                settings.sendInline() ? writer.inlineCopy() : null);
    }

    /** Restores a snapshot into empty stores. @throws CorruptSnapshotException when it fails its checks */
    public SwapManifest restore(String manifestKey, KeyValueStore processState, SessionRegistry sessions,
                                Mailbox mailbox) {
        long start = System.nanoTime();
        SnapshotReader reader = new SnapshotReader(restoreGets, settings.parallelism(), transfers);
        SwapManifest m = manifestAhead != null && manifestKey.equals(settings.restoreManifest())
                ? join(manifestAhead) : reader.manifest(manifestKey);
        if (!m.application().equals(application) || !m.processId().equals(processId)) {
            throw new CorruptSnapshotException("snapshot " + manifestKey + " belongs to " + m.application() + "/"
                    + m.processId() + ", not " + application + "/" + processId);
        }
        // Taken once (the process keeps this swapper; the part should not stay on its heap), and used
        // only for the data object it was fetched from.
        CompletableFuture<byte[]> ahead = firstPartAhead.getAndSet(null);
        CompletableFuture<byte[]> firstPart = ahead != null && manifestKey.equals(settings.restoreManifest())
                && m.dataKey().equals(SwapManifest.dataKeyOf(manifestKey)) ? ahead : null;
        reader.restore(m, firstPart, new SnapshotReader.Sink() {
            @Override
            public void processEntry(String key, byte[] value) {
                processState.adoptBytes(key, value); // a fresh array the reader hands over
            }

            @Override
            public void session(String sessionId) {
                sessions.open(sessionId);
            }

            @Override
            public void sessionEntry(String sessionId, String key, byte[] value) {
                sessions.get(sessionId).state().adoptBytes(key, value);
            }

            @Override
            public void mailboxMessage(String from, String key, byte[] data) {
                mailbox.restore(0, from, key, data);
            }
        });
        LOG.info("process {}: restored snapshot generation {} ({} bytes, {} sessions) in {} ms", processId,
                m.generation(), m.totalBytes(), m.sessions(), (System.nanoTime() - start) / 1_000_000);
        return m;
    }

    private S3Client s3() {
        startBuildingClient();
        return join(client);
    }

    /** The future's value; what it failed with, rethrown as it was. */
    private static <T> T join(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** Removes the generations before the last one this swapper committed, if it has not yet. */
    void removeOlderGenerations() {
        long generation = committed.getAndSet(0);
        if (generation > 0) {
            removeGenerationsBefore(generation);
        }
    }

    private void removeGenerationsBefore(long generation) {
        String prefix = SwapManifest.prefix(application, processId);
        try {
            // Keeps newer generations too: a process swapped in again may commit one before this
            // (exiting) process has finished removing the older ones.
            uploads.deleteUnder(prefix, key -> SwapManifest.generationOf(prefix, key) >= generation);
        } catch (RuntimeException e) {
            LOG.warn("process {}: could not remove snapshot generations before {}: {}", processId, generation, e.toString());
        }
        try {
            // An earlier incarnation killed while it swapped out left its upload unfinished, also one of
            // this very generation (its swap-out never committed, so the number was given again). This
            // swapper's own upload is complete; a successor's can only be of a later generation.
            int aborted = uploads.abortUploadsUnder(prefix, key -> SwapManifest.generationOf(prefix, key) > generation);
            if (aborted > 0) {
                LOG.info("process {}: aborted {} unfinished snapshot uploads up to generation {}", processId, aborted,
                        generation);
            }
        } catch (RuntimeException e) {
            LOG.warn("process {}: could not abort unfinished snapshot uploads up to generation {}: {}", processId,
                    generation, e.toString());
        }
    }

    @Override
    public void close() {
        removeOlderGenerations();
        transfers.shutdownNow();
        client.thenAccept(S3Client::close);
    }
}
