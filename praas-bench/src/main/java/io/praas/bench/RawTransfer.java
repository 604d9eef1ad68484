package io.praas.bench;

import io.praas.process.storage.S3Settings;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The swap benchmark's baseline: a plain multipart upload and a ranged-GET download of N bytes to
 * and from the same object store, with the client a process builds ({@link S3Settings#client()}),
 * the same part size and the same number of parts in flight on as many threads, and nothing else
 * (no encoding, no checksums, no manifest).
 *
 * <pre>{@code
 * try (RawTransfer raw = new RawTransfer(settings, 8 << 20, 4)) {
 *     long upNs = raw.upload("bench/raw", bytes);
 *     long downNs = raw.download("bench/raw", bytes);
 * }
 * }</pre>
 */
final class RawTransfer implements AutoCloseable {
    /** Distinct random part buffers cycled through by the upload (the store cannot deduplicate or compress). */
    private static final int DISTINCT_PARTS = 8;

    private final S3Client s3;
    private final String bucket;
    private final int partSize;
    private final ExecutorService pool;
    private final byte[][] parts;

    RawTransfer(S3Settings settings, int partSize, int parallelism) {
        this.s3 = settings.client();
        this.bucket = settings.bucket();
        this.partSize = partSize;
        this.pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "praas-bench-raw-transfer");
            t.setDaemon(true);
            return t;
        });
        SplittableRandom random = new SplittableRandom(42);
        this.parts = new byte[DISTINCT_PARTS][partSize];
        for (byte[] p : parts) {
            random.nextBytes(p);
        }
    }

    /** Uploads {@code bytes} bytes as one multipart object; returns the nanoseconds it took. */
    long upload(String key, long bytes) throws Exception {
        int count = partCount(bytes);
        long t0 = System.nanoTime();
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        List<Future<CompletedPart>> sent = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int number = i + 1;
            int size = (int) Math.min(partSize, bytes - (long) i * partSize);
            byte[] source = parts[i % DISTINCT_PARTS];
            sent.add(pool.submit(() -> {
                byte[] body = size == partSize ? source : Arrays.copyOf(source, size); // as the snapshot writer's last part
                String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                        RequestBody.fromBytes(body)).eTag();
                return CompletedPart.builder().partNumber(number).eTag(etag).build();
            }));
        }
        List<CompletedPart> done = new ArrayList<>(count);
        try {
            for (Future<CompletedPart> f : sent) {
                done.add(f.get());
            }
        } catch (ExecutionException e) {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            throw e;
        }
        s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(done)));
        return System.nanoTime() - t0;
    }

    /** Downloads {@code bytes} bytes of {@code key} in ranged GETs of one part each; returns the nanoseconds. */
    long download(String key, long bytes) throws Exception {
        int count = partCount(bytes);
        long t0 = System.nanoTime();
        List<Future<Integer>> got = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long offset = (long) i * partSize;
            long size = Math.min(partSize, bytes - offset);
            String range = "bytes=" + offset + "-" + (offset + size - 1);
            got.add(pool.submit(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).range(range)).asByteArray().length));
        }
        long total = 0;
        for (Future<Integer> f : got) {
            total += f.get();
        }
        long took = System.nanoTime() - t0;
        if (total != bytes) {
            throw new IllegalStateException("downloaded " + total + " bytes of " + key + ", expected " + bytes);
        }
        return took;
    }

    void delete(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    private int partCount(long bytes) {
        return (int) Math.max(1, (bytes + partSize - 1) / partSize);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        s3.close();
    }
}
