package io.praas.controlplane.storage;

import io.praas.process.storage.ObjectKeys;
import io.praas.process.storage.S3Settings;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Object storage through the S3 API: AWS S3, MinIO, or the embedded S3Proxy. Holds application jars;
 * processes write their swap snapshots there with the same {@link S3Settings}. All calls block.
 */
public final class ObjectStore implements AutoCloseable {
    private final S3Client s3;
    private final String bucket;

    public ObjectStore(S3Settings settings) {
        this.s3 = settings.client();
        this.bucket = settings.bucket();
    }

    public String bucket() {
        return bucket;
    }

    public S3Client client() {
        return s3;
    }

    /** Creates the bucket unless it exists. */
    public void ensureBucket() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
            try {
                s3.createBucket(b -> b.bucket(bucket));
            } catch (BucketAlreadyOwnedByYouException raced) {
                // another node made it
            }
        }
    }

    public void put(String key, byte[] bytes, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(bytes));
    }

    /** Downloads an object to a file (through a temp file, so a half download is never seen). */
    public void download(String key, Path target) {
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
            Files.delete(tmp);
            s3.getObject(b -> b.bucket(bucket).key(key), tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + target, e);
        }
    }

    /** The bytes of an object, or empty when there is none under {@code key}. */
    public java.util.Optional<byte[]> getIfExists(String key) {
        try {
            return java.util.Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return java.util.Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return java.util.Optional.empty();
            }
            throw e;
        }
    }

    /** True when there is an object under {@code key}. */
    public boolean exists(String key) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Every object under {@code prefix}, with its key, size and time of upload. */
    public java.util.List<software.amazon.awssdk.services.s3.model.S3Object> list(String prefix) {
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().toList();
    }

    /** Deletes every object under {@code prefix}; returns how many. */
    public int deletePrefix(String prefix) {
        return ObjectKeys.deleteUnder(s3, bucket, prefix, key -> false);
    }

    /**
     * Aborts every unfinished multipart upload under {@code prefix} (a swap-out that stopped midway
     * leaves one, its parts kept by the store but not listed); returns how many.
     */
    public int abortUploads(String prefix) {
        return ObjectKeys.abortUploadsUnder(s3, bucket, prefix, key -> false);
    }

    public void delete(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    @Override
    public void close() {
        s3.close();
    }
}
