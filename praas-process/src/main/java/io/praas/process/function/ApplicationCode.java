package io.praas.process.function;

import io.praas.process.storage.S3Settings;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where a process finds its application's jar: a file on this machine, or an object in the object
 * store ({@code s3://bucket/key}, what the control plane hands processes in {@code PRAAS_APP_CODE}),
 * which the process downloads before it loads the functions. A process in a container has no access
 * to the control plane's files, so it takes the object.
 *
 * <pre>{@code
 * ApplicationCode code = ApplicationCode.parse("s3://praas/apps/shop/code/9c5e.jar");
 * Path jar = code.fetch(System.getenv());   // downloads with the PRAAS_S3_* settings
 * }</pre>
 */
public sealed interface ApplicationCode {

    /** The URI scheme of code in the object store. */
    String SCHEME = "s3://";

    /** A jar on this machine. */
    record LocalJar(Path path) implements ApplicationCode {
        @Override
        public String fileName() {
            return path.getFileName().toString();
        }

        @Override
        public Path fetch(Map<String, String> environment) {
            return path;
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }

    /** A jar in the object store. */
    record StoredJar(String bucket, String key) implements ApplicationCode {
        public StoredJar {
            if (bucket.isEmpty() || key.isEmpty()) {
                throw new IllegalArgumentException("application code " + SCHEME + bucket + "/" + key
                        + " needs a bucket and a key: s3://BUCKET/KEY");
            }
        }

        @Override
        public String fileName() {
            return key.substring(key.lastIndexOf('/') + 1);
        }

        /** Downloads the jar through the store of {@code environment}'s PRAAS_S3_* variables. */
        @Override
        public Path fetch(Map<String, String> environment) {
            Map<String, String> env = new HashMap<>(environment);
            if (env.getOrDefault("PRAAS_S3_BUCKET", "").isBlank()) {
                env.put("PRAAS_S3_BUCKET", bucket);
            }
            S3Settings store = S3Settings.fromEnvironment(env);
            try (S3Client s3 = store.client()) {
                return download(s3, store);
            }
        }

        private Path download(S3Client s3, S3Settings store) {
            String where = store.endpoint() != null ? store.endpoint().toString() : "AWS S3 (" + store.region() + ")";
            Path jar;
            try {
                jar = Files.createTempFile("praas-app-", "-" + fileName());
                jar.toFile().deleteOnExit();
                Files.delete(jar); // getObject writes a new file
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary file for the application jar", e);
            }
            try {
                s3.getObject(b -> b.bucket(bucket).key(key), jar);
                return jar;
            } catch (NoSuchKeyException | NoSuchBucketException e) {
                throw new FunctionLoadingException("application code " + this + " does not exist in the object store at "
                        + where + " (upload the jar first: PUT /v1/applications/{app}/code)", e);
            } catch (S3Exception e) {
                throw new FunctionLoadingException("cannot read application code " + this + " from the object store at "
                        + where + ": HTTP " + e.statusCode() + " (check PRAAS_S3_ACCESS_KEY and PRAAS_S3_SECRET_KEY): "
                        + e.getMessage(), e);
            } catch (SdkClientException e) {
                throw new FunctionLoadingException("cannot reach the object store at " + where + " for application code "
                        + this + " (check PRAAS_S3_ENDPOINT): " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return SCHEME + bucket + "/" + key;
        }
    }

    /**
     * {@code s3://bucket/key} as a {@link StoredJar}, anything else as a {@link LocalJar} path.
     *
     * @throws IllegalArgumentException if an {@code s3://} location lacks its bucket or key
     */
    static ApplicationCode parse(String location) {
        String l = location.strip();
        if (!l.startsWith(SCHEME)) {
            return new LocalJar(Path.of(l));
        }
        String rest = l.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? new StoredJar(rest, "") : new StoredJar(rest.substring(0, slash), rest.substring(slash + 1));
    }

    /** The name of the jar's file without directories ({@code shop-1.0.jar}). */
    String fileName();

    /**
     * The jar as a local file: a {@link LocalJar} as it is; a {@link StoredJar} downloaded into a
     * new temporary file (deleted when the JVM exits) through the object store that the
     * {@code PRAAS_S3_*} variables of {@code environment} describe ({@link S3Settings#fromEnvironment};
     * with no {@code PRAAS_S3_BUCKET}, the location's bucket, and with no endpoint, AWS S3).
     *
     * @throws FunctionLoadingException if the object does not exist or the store cannot be read
     */
    Path fetch(Map<String, String> environment);
}
