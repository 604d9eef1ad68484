package io.praas.process.storage;

import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SignedGets} against a real S3 API (S3Proxy checking AWS signatures): the same bytes as the
 * SDK's client for whole objects, ranges and awkward keys; null for a missing key; refusals as errors.
 */
class SignedGetsTest {
    private static final String ACCESS_KEY = "gets-test";
    private static final String SECRET_KEY = "gets-test-secret";
    private static final String BUCKET = "praas-gets";
    private static final byte[] DATA = random(3 * 1024 * 1024 + 17);

    @TempDir
    static Path blobs;
    private static S3Proxy proxy;
    private static S3Settings store;
    private static S3Client s3;

    @BeforeAll
    static void start() throws Exception {
        proxy = TestObjectStore.start(blobs, 0, ACCESS_KEY, SECRET_KEY);
        store = TestObjectStore.settings(proxy, BUCKET, ACCESS_KEY, SECRET_KEY);
        s3 = store.client();
        s3.createBucket(b -> b.bucket(BUCKET));
        for (String key : keys()) {
            s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(DATA));
        }
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
        TestObjectStore.stop(proxy);
    }

    private static List<String> keys() {
        return List.of("shop/p-1/gen-3/data", "a key with spaces+plus=equals&amp", "ünïcödé/ключ/鍵", "x~y_z.-/(1)!*'");
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SplittableRandom(5).nextBytes(b);
        return b;
    }

    @Test
    void wholeObjectsAndRangesMatchWhatTheSdkReads() {
        ObjectGets signed = new SignedGets(store);
        ObjectGets sdk = ObjectGets.sdk(() -> s3, BUCKET);
        for (String key : keys()) {
            assertThat(signed.get(key)).as(key).isEqualTo(DATA);
            byte[] range = signed.getRange(key, 1_000_000, 2_000_000);
            assertThat(range).as(key).isEqualTo(java.util.Arrays.copyOfRange(DATA, 1_000_000, 3_000_000));
            assertThat(range).isEqualTo(sdk.getRange(key, 1_000_000, 2_000_000));
        }
        assertThat(signed.getRange(keys().get(0), DATA.length - 1, 1)).containsExactly(DATA[DATA.length - 1]);
    }

    @Test
    void bodiesAreReadWholeAndAShortOneIsAnError() throws Exception {
        byte[] b = random(100_000);
        // Announced and as expected: read into one array of that length.
        assertThat(SignedGets.body(new java.io.ByteArrayInputStream(b), b.length, b.length)).isEqualTo(b);
        // Not announced, or not what a range asked for: read to the end, for the caller to judge.
        assertThat(SignedGets.body(new java.io.ByteArrayInputStream(b), -1, -1)).isEqualTo(b);
        assertThat(SignedGets.body(new java.io.ByteArrayInputStream(b), b.length, 10)).isEqualTo(b);
        // Announced but cut short: an error, not a short array.
        assertThatThrownBy(() -> SignedGets.body(new java.io.ByteArrayInputStream(b, 0, 500), b.length, b.length))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("500 of its 100000 bytes");
    }

    @Test
    void missingKeyIsNullBothWays() {
        assertThat(new SignedGets(store).get("shop/p-1/none")).isNull();
        assertThat(new SignedGets(store).getRange("shop/p-1/none", 0, 10)).isNull();
        assertThat(ObjectGets.sdk(() -> s3, BUCKET).get("shop/p-1/none")).isNull();
    }

    @Test
    void wrongSecretIsRefusedWithTheStoresAnswer() {
        SignedGets wrong = new SignedGets(new S3Settings(store.endpoint(), "us-east-1", BUCKET, ACCESS_KEY, "not-it"));
        assertThatThrownBy(() -> wrong.get(keys().get(0)))
                .isInstanceOf(ObjectGets.ObjectStoreException.class)
                .hasMessageContaining("403");
    }

    @Test
    void missingBucketIsAnErrorNotAMissingKey() {
        SignedGets other = new SignedGets(new S3Settings(store.endpoint(), "us-east-1", "no-such-bucket", ACCESS_KEY,
                SECRET_KEY));
        assertThatThrownBy(() -> other.get(keys().get(0)))
                .isInstanceOf(ObjectGets.ObjectStoreException.class)
                .hasMessageContaining("404");
    }

    @Test
    void unreachableStoreFailsWithItsAddress() {
        SignedGets nowhere = new SignedGets(new S3Settings(URI.create("http://127.0.0.1:1"), "us-east-1", BUCKET,
                ACCESS_KEY, SECRET_KEY));
        assertThatThrownBy(() -> nowhere.get("k")).isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("127.0.0.1:1");
    }

    @Test
    void restoresUseSignedGetsOnlyWithAnEndpointAndAnAccessKey() {
        assertThat(ObjectGets.forRestore(store, () -> s3)).isInstanceOf(SignedGets.class);
        assertThat(ObjectGets.forRestore(new S3Settings(null, "eu-west-1", BUCKET, ACCESS_KEY, SECRET_KEY), () -> s3))
                .isNotInstanceOf(SignedGets.class);
        assertThat(ObjectGets.forRestore(new S3Settings(store.endpoint(), "us-east-1", BUCKET, "", ""), () -> s3))
                .isNotInstanceOf(SignedGets.class);
    }
}
