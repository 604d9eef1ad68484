package io.praas.process.swap;

import io.praas.process.messaging.Mailbox;

import io.praas.process.storage.ObjectUploads;
import io.praas.process.storage.S3Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Writes a process's state as a swap snapshot: the stream (SNAPSHOT.md) is cut into parts that are
 * uploaded in parallel as one multipart object while later parts are still being encoded, so memory
 * stays bounded by {@code partSize * (parallelism + 1)} whatever the state's size; then the manifest is
 * written, last. A stream that fits in one part is stored with one PUT instead (no multipart upload
 * to start and complete). Each part's CRC32C, which the manifest lists and a restore checks, goes
 * with its upload too, and the store checks it.
 */
public final class SnapshotWriter {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotWriter.class);
    private final ObjectUploads store;
    private final int partSize;
    private final int parallelism;
    private final ExecutorService uploads;
    private final Clock clock;
    private byte[] inlineCopy;

    public SnapshotWriter(ObjectUploads store, int partSize, int parallelism, ExecutorService uploads, Clock clock) {
        if (partSize < 5 * 1024 * 1024) {
            throw new IllegalArgumentException("S3 multipart parts must be at least 5 MiB");
        }
        this.store = store;
        this.partSize = partSize;
        this.parallelism = parallelism;
        this.uploads = uploads;
        this.clock = clock;
    }

    /** What goes into a snapshot: encoded state values, by key. */
    public record Content(Map<String, byte[]> processState, Map<String, Map<String, byte[]>> sessions,
                          List<Mailbox.Stored> mailbox, long stateBytes) {
    }

    /**
     * Writes generation {@code generation} of the process's snapshot and returns its manifest once
     * the manifest is stored. On failure nothing is committed (the multipart upload is aborted).
     */
    public SwapManifest write(String application, String processId, long generation, Content content) throws IOException {
        String dataKey = SwapManifest.dataKey(application, processId, generation);
        PartStream parts = new PartStream(dataKey);
        long processEntries = 0;
        long sessionEntries = 0;
        try {
            DataOutputStream out = new DataOutputStream(parts);
            out.write(SnapshotFormat.MAGIC);
            out.writeShort(SnapshotFormat.STREAM_VERSION);
            for (Map.Entry<String, byte[]> e : content.processState().entrySet()) {
                out.writeByte(SnapshotFormat.PROCESS_ENTRY);
                entry(out, e.getKey(), e.getValue());
                processEntries++;
            }
            for (Map.Entry<String, Map<String, byte[]>> s : content.sessions().entrySet()) {
                out.writeByte(SnapshotFormat.SESSION);
                str(out, s.getKey());
                for (Map.Entry<String, byte[]> e : s.getValue().entrySet()) {
                    out.writeByte(SnapshotFormat.SESSION_ENTRY);
                    entry(out, e.getKey(), e.getValue());
                    sessionEntries++;
                }
            }
            for (Mailbox.Stored m : content.mailbox()) {
                out.writeByte(SnapshotFormat.MAILBOX_MESSAGE);
                str(out, m.from());
                entry(out, m.key(), m.data());
            }
            out.writeByte(SnapshotFormat.END);
            out.writeLong(processEntries + sessionEntries + content.mailbox().size());
            out.flush();
            List<SwapManifest.Part> partList = parts.finish();
            SwapManifest manifest = new SwapManifest(SwapManifest.FORMAT, SwapManifest.VERSION, application, processId,
                    generation, clock.instant(), dataKey, partSize, partList, parts.total,
                    null, SnapshotFormat.compositeCrc32c(partList), processEntries, content.sessions().size(),
                    sessionEntries, content.stateBytes());
            byte[] json = manifest.toJson();
            store.put(SwapManifest.manifestKey(application, processId, generation), json, json.length,
                    SnapshotFormat.crc32c(json, json.length), "application/json");
            inlineCopy = parts.uploaded.isEmpty() ? InlineSnapshot.encode(json, parts.buffer, parts.filled) : null;
            return manifest;
        } catch (IOException | RuntimeException e) {
            parts.abort();
            throw e instanceof IOException io ? io : new IOException("snapshot upload failed: " + e.getMessage(), e);
        } catch (Error e) {
            // Out of memory while it copies a large state, say: the parts in flight and queued are
            // stopped and the upload aborted all the same, before the swap-out answers its failure.
            parts.abort();
            throw e;
        }
    }

    /**
     * After {@link #write}: the {@link InlineSnapshot} copy of the snapshot just committed when its
     * data is at most {@link InlineSnapshot#MAX_DATA_BYTES}, else null.
     */
    public byte[] inlineCopy() {
        return inlineCopy;
    }

    private static void entry(DataOutputStream out, String key, byte[] value) throws IOException {
        str(out, key);
        out.writeInt(value.length);
        out.write(value);
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.write(b);
    }

    /**
     * Buffers the stream into parts and uploads each full part in the background, in a multipart
     * upload started with the first full part; a stream that ends within its first part is one PUT.
     */
    private final class PartStream extends OutputStream {
        private final String key;
        private String uploadId;
        private volatile boolean aborting;
        private final Semaphore window = new Semaphore(parallelism);
        /** Each part's ETag, in part order. */
        private final List<CompletableFuture<ObjectUploads.UploadedPart>> uploaded = new ArrayList<>();
        private final List<CompletableFuture<SwapManifest.Part>> described = new ArrayList<>();
        /** Part buffers whose upload is done, for the next parts: `parallelism + 1` buffers in all. */
        private final Queue<byte[]> spare = new ConcurrentLinkedQueue<>();
        private byte[] buffer = new byte[partSize];
        private int filled;
        private long total;

        PartStream(String key) {
            this.key = key;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            total += len;
            while (len > 0) {
                int n = Math.min(len, partSize - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
                if (filled == partSize) {
                    ship();
                }
            }
        }

        private void ship() throws IOException {
            if (uploadId == null) {
                try {
                    uploadId = store.startMultipart(key);
                } catch (RuntimeException e) {
                    throw new IOException("cannot start the snapshot upload: " + e.getMessage(), e);
                }
            }
            byte[] part = filled == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, filled);
            int number = uploaded.size() + 1;
            int size = filled;
            CompletableFuture<SwapManifest.Part> description = new CompletableFuture<>();
            described.add(description);
            try {
                window.acquire(); // at most `parallelism` parts in memory and in flight
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while uploading the snapshot");
            }
            for (CompletableFuture<ObjectUploads.UploadedPart> f : uploaded) {
                if (f.isCompletedExceptionally()) { // no use encoding the rest
                    window.release();
                    throw new IOException("a snapshot part failed to upload: " + failure(f));
                }
            }
            uploaded.add(CompletableFuture.supplyAsync(() -> {
                try {
                    if (aborting) {
                        throw new java.util.concurrent.CancellationException("the snapshot upload was aborted");
                    }
                    int crc = SnapshotFormat.crc32c(part, size);
                    description.complete(new SwapManifest.Part(number, (long) (number - 1) * partSize, size, null,
                            SnapshotFormat.hex(crc)));
                    // Sent from the part itself: the buffer is not refilled before the upload has returned.
                    return new ObjectUploads.UploadedPart(store.uploadPart(key, uploadId, number, part, size, crc), crc);
                } finally {
                    if (part.length == partSize) {
                        spare.offer(part);
                    }
                    window.release();
                }
            }, uploads));
            byte[] reused = spare.poll();
            buffer = reused != null ? reused : new byte[partSize];
            filled = 0;
        }

        List<SwapManifest.Part> finish() throws IOException {
            if (uploaded.isEmpty()) {
                return List.of(putWhole());
            }
            if (filled > 0) {
                ship();
            }
            List<ObjectUploads.UploadedPart> done = new ArrayList<>();
            try {
                for (CompletableFuture<ObjectUploads.UploadedPart> f : uploaded) {
                    done.add(f.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while uploading the snapshot");
            } catch (ExecutionException e) {
                throw new IOException("a snapshot part failed to upload: " + e.getCause().getMessage(), e.getCause());
            }
            store.completeMultipart(key, uploadId, done);
            return described.stream().map(CompletableFuture::join).toList();
        }

        /** The stream as one object: it never filled a part. */
        private SwapManifest.Part putWhole() throws IOException {
            int crc = SnapshotFormat.crc32c(buffer, filled);
            try {
                store.put(key, buffer, filled, crc, "application/octet-stream");
            } catch (RuntimeException e) {
                throw new IOException("snapshot upload failed: " + e.getMessage(), e);
            }
            return new SwapManifest.Part(1, 0, filled, null, SnapshotFormat.hex(crc));
        }

        /** The message of what {@code f} failed with. */
        private static String failure(CompletableFuture<?> f) {
            try {
                f.join();
                return "";
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                return String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
            }
        }

        void abort() {
            if (uploadId == null) {
                return; // no multipart upload started; a single PUT either stored the object or not
            }
            // Parts not yet sent are skipped; those being sent are waited for, so that none lands
            // after the abort (and stays stored).
            aborting = true;
            try {
                if (!window.tryAcquire(parallelism, 2 * S3Settings.READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    LOG.warn("snapshot parts of {} still uploading while the upload is aborted", key);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                store.abortMultipart(key, uploadId);
            } catch (RuntimeException e) {
                // the store is failing; an unfinished multipart upload holds no committed snapshot
            }
        }
    }
}
