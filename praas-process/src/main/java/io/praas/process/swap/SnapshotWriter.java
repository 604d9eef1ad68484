package io.praas.process.swap;

import io.praas.process.messaging.Mailbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.io.ByteArrayInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;

/**
 * Writes a process's state as a swap snapshot: the stream (SNAPSHOT.md) is cut into parts that are
 * uploaded in parallel as one multipart object while later parts are still being encoded, so memory
 * stays bounded by {@code partSize * (parallelism + 1)} whatever the state's size; then the manifest is
 * written, last.
 */
public final class SnapshotWriter {
    static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final S3Client s3;
    private final String bucket;
    private final int partSize;
    private final int parallelism;
    private final ExecutorService uploads;
    private final Clock clock;

    public SnapshotWriter(S3Client s3, String bucket, int partSize, int parallelism, ExecutorService uploads, Clock clock) {
        if (partSize < 5 * 1024 * 1024) {
            throw new IllegalArgumentException("S3 multipart parts must be at least 5 MiB");
        }
        this.s3 = s3;
        this.bucket = bucket;
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
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(dataKey)).uploadId();
        } catch (RuntimeException e) {
            throw new IOException("cannot start the snapshot upload: " + e.getMessage(), e);
        }
        PartStream parts = new PartStream(dataKey, uploadId);
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
                    SnapshotFormat.composite(partList), processEntries, content.sessions().size(),
                    sessionEntries, content.stateBytes());
            byte[] json = JSON.writeValueAsBytes(manifest);
            s3.putObject(b -> b.bucket(bucket).key(SwapManifest.manifestKey(application, processId, generation))
                    .contentType("application/json"), RequestBody.fromBytes(json));
            return manifest;
        } catch (IOException | RuntimeException e) {
            parts.abort();
            throw e instanceof IOException io ? io : new IOException("snapshot upload failed: " + e.getMessage(), e);
        }
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

    /** Buffers the stream into parts and uploads each full part in the background. */
    private final class PartStream extends OutputStream {
        private final String key;
        private final String uploadId;
        private final Semaphore window = new Semaphore(parallelism);
        private final List<CompletableFuture<CompletedPart>> uploaded = new ArrayList<>();
        private final List<CompletableFuture<SwapManifest.Part>> described = new ArrayList<>();
        /** Part buffers whose upload is done, for the next parts: `parallelism + 1` buffers in all. */
        private final Queue<byte[]> spare = new ConcurrentLinkedQueue<>();
        private byte[] buffer = new byte[partSize];
        private int filled;
        private long total;

        PartStream(String key, String uploadId) {
            this.key = key;
            this.uploadId = uploadId;
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
            uploaded.add(CompletableFuture.supplyAsync(() -> {
                try {
                    description.complete(new SwapManifest.Part(number, (long) (number - 1) * partSize, size,
                            HexFormat.of().formatHex(SnapshotFormat.sha256().digest(part))));
                    // Read from the part itself (fromBytes would copy it): the buffer is not
                    // refilled before the upload has returned.
                    String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                            RequestBody.fromContentProvider(() -> new ByteArrayInputStream(part), size,
                                    "application/octet-stream")).eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
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
            if (filled > 0 || uploaded.isEmpty()) {
                ship();
            }
            List<CompletedPart> done = new ArrayList<>();
            try {
                for (CompletableFuture<CompletedPart> f : uploaded) {
                    done.add(f.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while uploading the snapshot");
            } catch (ExecutionException e) {
                throw new IOException("a snapshot part failed to upload: " + e.getCause().getMessage(), e.getCause());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(done)));
            return described.stream().map(CompletableFuture::join).toList();
        }

        void abort() {
            for (CompletableFuture<CompletedPart> f : uploaded) {
                f.cancel(false);
            }
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (RuntimeException e) {
                // the store is failing; an unfinished multipart upload holds no committed snapshot
            }
        }
    }
}
