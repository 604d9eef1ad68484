package io.praas.process.storage;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Writes objects of one bucket: whole (a snapshot that fits in one part, every manifest) or in a
 * multipart upload. Like {@link ObjectGets}, through {@link SignedRequests} where it can, so that a
 * swap-out neither waits for the AWS SDK's client to be built nor pays its first requests' cold
 * paths; otherwise through that client. Every body goes with its CRC32C (S3's flexible checksums,
 * {@code x-amz-checksum-crc32c}; a multipart upload is started with that algorithm and completed with
 * each part's), and the store checks it.
 *
 * <pre>{@code
 * ObjectUploads uploads = ObjectUploads.forSnapshots(settings, () -> s3Client);
 * uploads.put("app/p-1/gen-3/manifest.json", json, json.length, crc32c(json), "application/json");
 * }</pre>
 */
public interface ObjectUploads {
    /**
     * Stores the first {@code length} bytes of {@code body} as {@code key}.
     * @throws ObjectGets.ObjectStoreException when the store refuses
     * @throws java.io.UncheckedIOException when it cannot be reached
     */
    void put(String key, byte[] body, int length, int crc32c, String contentType);

    /** Starts a multipart upload of {@code key} with CRC32C checksums and returns its upload id. */
    String startMultipart(String key);

    /** Uploads part {@code number} (from 1) and returns its ETag. */
    String uploadPart(String key, String uploadId, int number, byte[] body, int length, int crc32c);

    /** Commits the upload of {@code parts}, given in part order. */
    void completeMultipart(String key, String uploadId, List<UploadedPart> parts);

    /** A part the store took: its ETag and the CRC32C it was sent with. */
    record UploadedPart(String etag, int crc32c) {
    }

    /** A CRC32C as S3's headers and XML carry it: base64 of its 4 bytes, big-endian. */
    static String base64(int crc32c) {
        return java.util.Base64.getEncoder().encodeToString(java.nio.ByteBuffer.allocate(4).putInt(crc32c).array());
    }

    void abortMultipart(String key, String uploadId);

    /** Deletes the objects under {@code prefix} whose key {@code keep} rejects; returns how many. */
    int deleteUnder(String prefix, java.util.function.Predicate<String> keep);

    /**
     * Aborts the unfinished multipart uploads under {@code prefix} whose key {@code keep} rejects:
     * those of a swap-out that stopped midway (a process killed while it uploaded), whose parts the
     * store keeps, unlisted, until they are aborted. Returns how many.
     */
    int abortUploadsUnder(String prefix, java.util.function.Predicate<String> keep);

    /** Signed requests for an S3-compatible endpoint with an access key; otherwise the SDK client {@code sdk} supplies. */
    static ObjectUploads forSnapshots(S3Settings settings, Supplier<S3Client> sdk) {
        if (SignedRequests.usableFor(settings)) {
            return new SignedRequests(settings);
        }
        return sdk(sdk, settings.bucket());
    }

    /** Through the AWS SDK's client (which computes its own payload signatures). */
    static ObjectUploads sdk(Supplier<S3Client> client, String bucket) {
        return sdk(client, bucket, S3Settings.READ_TIMEOUT, 1024 * 1024);
    }

    /**
     * As above; an attempt to send a body of {@code n} bytes is given up after {@code stall} plus
     * {@code n} at {@code minBytesPerSecond} (a socket write has no timeout of its own: a store that
     * stops reading would hold it for good), as {@link SignedRequests} does.
     */
    static ObjectUploads sdk(Supplier<S3Client> client, String bucket, java.time.Duration stall, long minBytesPerSecond) {
        java.util.function.IntFunction<java.time.Duration> limit = length ->
                stall.plusMillis(1000L * length / minBytesPerSecond);
        return new ObjectUploads() {
            @Override
            public void put(String key, byte[] body, int length, int crc32c, String contentType) {
                storeCall(() -> client.get().putObject(b -> b.bucket(bucket).key(key).contentType(contentType)
                                .checksumCRC32C(base64(crc32c))
                                .overrideConfiguration(o -> o.apiCallAttemptTimeout(limit.apply(length))),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(body, 0, length), length,
                                contentType)));
            }

            @Override
            public String startMultipart(String key) {
                return storeCall(() -> client.get().createMultipartUpload(b -> b.bucket(bucket).key(key)
                        .checksumAlgorithm(ChecksumAlgorithm.CRC32_C)).uploadId());
            }

            @Override
            public String uploadPart(String key, String uploadId, int number, byte[] body, int length, int crc32c) {
                // Read from the caller's array (fromBytes would copy it).
                return storeCall(() -> client.get().uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                                .partNumber(number).checksumCRC32C(base64(crc32c))
                                .overrideConfiguration(o -> o.apiCallAttemptTimeout(limit.apply(length))),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(body, 0, length), length,
                                "application/octet-stream")).eTag());
            }

            @Override
            public void completeMultipart(String key, String uploadId, List<UploadedPart> uploaded) {
                List<CompletedPart> parts = new ArrayList<>();
                for (int i = 0; i < uploaded.size(); i++) {
                    parts.add(CompletedPart.builder().partNumber(i + 1).eTag(uploaded.get(i).etag())
                            .checksumCRC32C(base64(uploaded.get(i).crc32c())).build());
                }
                storeCall(() -> client.get().completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                        .multipartUpload(m -> m.parts(parts))));
            }

            @Override
            public int deleteUnder(String prefix, java.util.function.Predicate<String> keep) {
                return storeCall(() -> ObjectKeys.deleteUnder(client.get(), bucket, prefix, keep));
            }

            @Override
            public int abortUploadsUnder(String prefix, java.util.function.Predicate<String> keep) {
                return storeCall(() -> ObjectKeys.abortUploadsUnder(client.get(), bucket, prefix, keep));
            }

            @Override
            public void abortMultipart(String key, String uploadId) {
                storeCall(() -> client.get().abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)));
            }
        };
    }

    /** One request through the SDK's client; the store's refusal as an {@link ObjectGets.ObjectStoreException}. */
    private static <T> T storeCall(Supplier<T> request) {
        try {
            return request.get();
        } catch (S3Exception e) {
            throw new ObjectGets.ObjectStoreException(e.getMessage());
        }
    }
}
