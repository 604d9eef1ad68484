package io.praas.process.storage;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real S3 API for tests: S3Proxy on loopback over a directory, with SigV4 authentication.
 *
 * <pre>{@code
 * S3Proxy proxy = TestObjectStore.start(dir, 0, "key", "secret");
 * S3Settings store = TestObjectStore.settings(proxy, "bucket", "key", "secret");
 * ...
 * TestObjectStore.stop(proxy);
 * }</pre>
 */
public final class TestObjectStore {
    private TestObjectStore() {
    }

    /** Starts S3Proxy on {@code port} (0: any free one) storing under {@code dir}; waits until it serves. */
    public static S3Proxy start(Path dir, int port, String accessKey, String secretKey) throws Exception {
        Files.createDirectories(dir);
        S3Proxy p = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(dir.toAbsolutePath().toString()))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .stopTimeout(500)
                .build();
        p.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(p.getState())) {
            assertThat(System.nanoTime()).as("S3Proxy starts within 30 s").isLessThan(deadline);
            Thread.sleep(10);
        }
        return p;
    }

    /** Settings for the store {@code proxy} serves (region us-east-1). */
    public static S3Settings settings(S3Proxy proxy, String bucket, String accessKey, String secretKey) {
        return new S3Settings(URI.create("http://127.0.0.1:" + proxy.getPort()), "us-east-1", bucket, accessKey,
                secretKey);
    }

    /** Stops {@code proxy}; null is ignored. */
    public static void stop(S3Proxy proxy) {
        if (proxy == null) {
            return;
        }
        try {
            proxy.stop();
        } catch (Exception e) {
            // Jetty's graceful stop gives up on idle keep-alive connections; it stopped anyway.
        }
    }
}
