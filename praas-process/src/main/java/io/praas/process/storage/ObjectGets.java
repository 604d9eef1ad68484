package io.praas.process.storage;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.util.function.Supplier;

/**
 * Reads objects of one bucket: all that restoring a snapshot needs. Two ways: through the AWS SDK's
 * client, or {@link SignedRequests}, plain signed HTTP GETs that need no SDK client, whose first
 * request costs most of a second in a new JVM.
 *
 * <pre>{@code
 * ObjectGets gets = ObjectGets.forRestore(settings, () -> s3Client);
 * byte[] manifest = gets.get("app/p-1/gen-3/manifest.json");   // null when there is no such object
 * }</pre>
 */
public interface ObjectGets {
    /** The whole object, or null when it does not exist. @throws ObjectStoreException when the store refuses */
    byte[] get(String key);

    /** {@code size} bytes of the object from {@code offset}, or null when it does not exist. */
    byte[] getRange(String key, long offset, long size);

    /** The store answered with an error other than "no such key". */
    final class ObjectStoreException extends RuntimeException {
        private final int status;

        public ObjectStoreException(String message) {
            this(-1, message);
        }

        public ObjectStoreException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** The store's HTTP status, or -1 when it gave none. */
        public int status() {
            return status;
        }
    }

    /**
     * Signed GETs for an S3-compatible endpoint with an access key (the embedded store, MinIO);
     * otherwise (AWS itself, or credentials from the AWS chain) the SDK client {@code sdk} supplies.
     */
    static ObjectGets forRestore(S3Settings settings, Supplier<S3Client> sdk) {
        if (SignedRequests.usableFor(settings)) {
            return new SignedRequests(settings);
        }
        return sdk(sdk, settings.bucket());
    }

    /** Through the AWS SDK's client. */
    static ObjectGets sdk(Supplier<S3Client> client, String bucket) {
        return new ObjectGets() {
            @Override
            public byte[] get(String key) {
                try {
                    return client.get().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
                } catch (NoSuchKeyException e) {
                    return null;
                } catch (S3Exception e) {
                    throw new ObjectStoreException(e.getMessage());
                }
            }

            @Override
            public byte[] getRange(String key, long offset, long size) {
                String range = "bytes=" + offset + "-" + (offset + size - 1);
                try {
                    return client.get().getObjectAsBytes(b -> b.bucket(bucket).key(key).range(range)).asByteArray();
                } catch (NoSuchKeyException e) {
                    return null;
                } catch (S3Exception e) {
                    throw new ObjectStoreException(e.getMessage());
                }
            }
        };
    }
}
