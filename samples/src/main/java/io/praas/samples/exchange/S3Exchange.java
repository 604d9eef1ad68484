package io.praas.samples.exchange;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.net.URI;
import java.time.Duration;

/**
 * Bytes exchanged through an S3-compatible store, the way serverless functions without messaging
 * do it: the sender PUTs an object, the receiver GETs it, polling every {@link #POLL_INTERVAL}
 * while it is not there yet (S3 has no push). The store's settings come from the process's
 * environment ({@code PRAAS_S3_ENDPOINT}, {@code PRAAS_S3_REGION}, {@code PRAAS_S3_BUCKET},
 * {@code PRAAS_S3_ACCESS_KEY}, {@code PRAAS_S3_SECRET_KEY}: what the control plane gives every
 * process for swapping).
 *
 * <pre>{@code
 * try (S3Exchange s3 = S3Exchange.fromEnvironment()) {
 *     s3.put("run-1/epoch-3/rank-0", bytes);
 *     byte[] b = s3.await("run-1/epoch-3/rank-1", Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class S3Exchange implements AutoCloseable {
    /** How often a receiver looks for an object that is not there yet. */
    public static final Duration POLL_INTERVAL = Duration.ofMillis(5);

    private final S3Client s3;
    private final String bucket;

    private S3Exchange(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    public static S3Exchange fromEnvironment() {
        String endpoint = System.getenv("PRAAS_S3_ENDPOINT");
        var b = S3Client.builder().region(Region.of(env("PRAAS_S3_REGION", "us-east-1")))
                .httpClientBuilder(UrlConnectionHttpClient.builder());
        if (endpoint != null && !endpoint.isEmpty()) {
            b.endpointOverride(URI.create(endpoint)).forcePathStyle(true);
        }
        String access = System.getenv("PRAAS_S3_ACCESS_KEY");
        if (access != null && !access.isEmpty()) {
            b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(access,
                    env("PRAAS_S3_SECRET_KEY", ""))));
        }
        return new S3Exchange(b.build(), env("PRAAS_S3_BUCKET", "praas"));
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    public void put(String key, byte[] data) {
        s3.putObject(r -> r.bucket(bucket).key("exchange/" + key), RequestBody.fromBytes(data));
    }

    /** GETs {@code key}, polling until it exists or {@code timeout} passes. */
    public byte[] await(String key, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                ResponseBytes<GetObjectResponse> b = s3.getObjectAsBytes(r -> r.bucket(bucket).key("exchange/" + key));
                return b.asByteArray();
            } catch (NoSuchKeyException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no object exchange/" + key + " within " + timeout);
                }
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
        }
    }

    public void delete(String key) {
        s3.deleteObject(r -> r.bucket(bucket).key("exchange/" + key));
    }

    @Override
    public void close() {
        s3.close();
    }
}
