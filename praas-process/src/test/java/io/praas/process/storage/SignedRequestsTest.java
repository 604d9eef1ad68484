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
 * {@link SignedRequests} against a real S3 API (S3Proxy checking AWS signatures): the same bytes as the
 * SDK's client for whole objects, ranges and awkward keys; null for a missing key; refusals as errors.
 */
class SignedRequestsTest {
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
        ObjectGets signed = new SignedRequests(store);
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
    void putStoresTheGivenLengthAsTheSdkReadsIt() throws Exception {
        byte[] buffer = random(300_000);
        int length = 250_001;
        new SignedRequests(store).put("shop/p-1/put one", buffer, length, crc32c(buffer, length),
                "application/octet-stream");

        assertThat(ObjectGets.sdk(() -> s3, BUCKET).get("shop/p-1/put one"))
                .isEqualTo(java.util.Arrays.copyOf(buffer, length));
        assertThat(ObjectUploads.forSnapshots(store, () -> s3)).isInstanceOf(SignedRequests.class);
    }

    @Test
    void multipartUploadsBothWaysStoreThePartsInOrder() throws Exception {
        int partSize = 5 * 1024 * 1024;
        byte[] whole = random(2 * partSize + 12_345);
        for (ObjectUploads uploads : java.util.List.of(new SignedRequests(store), ObjectUploads.sdk(() -> s3, BUCKET))) {
            String key = "shop/p-1/multi " + uploads.getClass().getSimpleName();
            String uploadId = uploads.startMultipart(key);
            java.util.List<ObjectUploads.UploadedPart> parts = new java.util.ArrayList<>();
            for (int n = 1, off = 0; off < whole.length; n++, off += partSize) {
                byte[] part = java.util.Arrays.copyOfRange(whole, off, Math.min(whole.length, off + partSize));
                byte[] buffer = java.util.Arrays.copyOf(part, partSize + 7); // a longer buffer: only `length` goes
                int crc = crc32c(part, part.length);
                parts.add(new ObjectUploads.UploadedPart(uploads.uploadPart(key, uploadId, n, buffer, part.length, crc),
                        crc));
            }

            uploads.completeMultipart(key, uploadId, parts);

            assertThat(new SignedRequests(store).get(key)).as(key).isEqualTo(whole);
        }
    }

    @Test
    void anAbortedUploadStoresNothingAndACompletionWithAWrongETagIsRefused() throws Exception {
        SignedRequests signed = new SignedRequests(store);
        byte[] part = random(1000);
        String aborted = signed.startMultipart("shop/p-1/aborted");
        signed.uploadPart("shop/p-1/aborted", aborted, 1, part, part.length, crc32c(part, part.length));

        signed.abortMultipart("shop/p-1/aborted", aborted);

        assertThat(signed.get("shop/p-1/aborted")).isNull();
        String uploadId = signed.startMultipart("shop/p-1/wrong-etag");
        signed.uploadPart("shop/p-1/wrong-etag", uploadId, 1, part, part.length, crc32c(part, part.length));
        assertThatThrownBy(() -> signed.completeMultipart("shop/p-1/wrong-etag", uploadId, java.util.List.of(
                new ObjectUploads.UploadedPart("\"00000000000000000000000000000000\"", crc32c(part, part.length)))))
                .isInstanceOf(ObjectGets.ObjectStoreException.class);
        assertThat(signed.get("shop/p-1/wrong-etag")).isNull();
    }

    @Test
    void deleteUnderRemovesWhatKeepRejectsBothWays() throws Exception {
        byte[] body = random(10);
        SignedRequests signed = new SignedRequests(store);
        for (ObjectUploads uploads : java.util.List.of(signed, ObjectUploads.sdk(() -> s3, BUCKET))) {
            String prefix = "shop/del-" + uploads.getClass().getSimpleName() + "/";
            for (String k : java.util.List.of("gen-1/data", "gen-1/manifest.json", "gen-2/data", "gen-2/a b&c")) {
                signed.put(prefix + k, body, body.length, crc32c(body, body.length), "text/plain");
            }
            signed.put(prefix.substring(0, prefix.length() - 1) + "x/gen-1/data", body, body.length, crc32c(body, body.length),
                    "text/plain");

            int deleted = uploads.deleteUnder(prefix, key -> key.startsWith(prefix + "gen-2/"));

            assertThat(deleted).isEqualTo(2);
            assertThat(signed.get(prefix + "gen-1/data")).isNull();
            assertThat(signed.get(prefix + "gen-1/manifest.json")).isNull();
            assertThat(signed.get(prefix + "gen-2/a b&c")).isEqualTo(body);
            assertThat(signed.get(prefix.substring(0, prefix.length() - 1) + "x/gen-1/data")).isEqualTo(body);
        }
    }

    @Test
    void abortUploadsUnderAbortsTheUnfinishedUploadsKeepRejectsBothWays() {
        SignedRequests signed = new SignedRequests(store);
        for (ObjectUploads uploads : java.util.List.of(signed, ObjectUploads.sdk(() -> s3, BUCKET))) {
            String prefix = "shop/abort-" + uploads.getClass().getSimpleName() + "/";
            java.util.Map<String, String> started = unfinishedUploads(signed, prefix, "gen-1/data", "gen-1/a b&amp;<c>",
                    "gen-2/data");
            String outside = prefix.substring(0, prefix.length() - 1) + "x/gen-1/data";
            String outsideId = signed.startMultipart(outside);

            int aborted = uploads.abortUploadsUnder(prefix, key -> key.startsWith(prefix + "gen-2/"));

            assertThat(aborted).isEqualTo(2);
            assertThat(s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix)).uploads())
                    .extracting(software.amazon.awssdk.services.s3.model.MultipartUpload::uploadId)
                    .containsExactly(started.get(prefix + "gen-2/data"));
            signed.abortMultipart(prefix + "gen-2/data", started.get(prefix + "gen-2/data"));
            signed.abortMultipart(outside, outsideId);
        }
    }

    /** Starts an upload of each of {@code keys} under {@code prefix} with one part; returns their ids by whole key. */
    private static java.util.Map<String, String> unfinishedUploads(SignedRequests signed, String prefix, String... keys) {
        byte[] part = random(100);
        java.util.Map<String, String> started = new java.util.LinkedHashMap<>();
        for (String k : keys) {
            String id = signed.startMultipart(prefix + k);
            signed.uploadPart(prefix + k, id, 1, part, part.length, crc32c(part, part.length));
            started.put(prefix + k, id);
        }
        return started;
    }

    @Test
    void anUploadAbortedMeanwhileDoesNotStopTheOthersBothWays() {
        SignedRequests signed = new SignedRequests(store);
        for (ObjectUploads uploads : java.util.List.of(signed, ObjectUploads.sdk(() -> s3, BUCKET))) {
            String prefix = "shop/raced-" + uploads.getClass().getSimpleName() + "/";
            java.util.Map<String, String> started = unfinishedUploads(signed, prefix, "gen-1/data", "gen-2/data",
                    "gen-3/data");

            // Another cleanup aborts gen-2's upload between the listing and this one's abort of it.
            int aborted = uploads.abortUploadsUnder(prefix, key -> {
                if (key.endsWith("gen-2/data")) {
                    signed.abortMultipart(key, started.get(key));
                }
                return false;
            });

            assertThat(aborted).isEqualTo(2);
            assertThat(s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix)).uploads()).isEmpty();
        }
    }

    @Test
    void deleteUnderFollowsAListingOverSeveralPagesBothWays() throws Exception {
        // Over the store's 1,000 keys per listing page: the continuation token is followed.
        byte[] body = random(3);
        int hash = crc32c(body, body.length);
        SignedRequests signed = new SignedRequests(store);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            for (ObjectUploads uploads : java.util.List.of(signed, ObjectUploads.sdk(() -> s3, BUCKET))) {
                String prefix = "shop/many-" + uploads.getClass().getSimpleName() + "/";
                List<java.util.concurrent.Future<?>> puts = new java.util.ArrayList<>();
                for (int i = 0; i < 1_003; i++) {
                    String key = prefix + "gen-1/part-" + i;
                    puts.add(pool.submit(() -> signed.put(key, body, body.length, hash, "text/plain")));
                }
                for (String k : List.of("gen-2/data", "gen-2/manifest.json")) {
                    signed.put(prefix + k, body, body.length, crc32c(body, body.length), "text/plain");
                }
                for (java.util.concurrent.Future<?> f : puts) {
                    f.get();
                }

                int deleted = uploads.deleteUnder(prefix, key -> key.startsWith(prefix + "gen-2/"));

                assertThat(deleted).isEqualTo(1_003);
                List<String> left = s3.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream()
                        .map(software.amazon.awssdk.services.s3.model.S3Object::key).toList();
                assertThat(left).containsExactlyInAnyOrder(prefix + "gen-2/data", prefix + "gen-2/manifest.json");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void everyElementOfAListingIsFound() {
        String listing = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a/1</Key></Contents>"
                + "<Contents><Key>a/2 &amp; 3</Key></Contents><NextContinuationToken>t+1/2</NextContinuationToken>"
                + "</ListBucketResult>";

        assertThat(SignedRequests.elements(listing, "Key")).containsExactly("a/1", "a/2 & 3");
        assertThat(SignedRequests.element(listing, "IsTruncated")).isEqualTo("true");
        assertThat(SignedRequests.elements("<R/>", "Key")).isEmpty();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            "<R><UploadId>abc-1</UploadId></R>|abc-1",
            "<?xml version=\"1.0\"?><R xmlns=\"x\"><Bucket>b</Bucket><UploadId>a&amp;b&lt;c</UploadId></R>|a&b<c",
            "<R><UploadIdX>no</UploadIdX></R>|",
            "<R><UploadId>open|",
    })
    void anElementOfASmallXmlAnswerIsFoundAndUnescaped(String xml, String expected) {
        assertThat(SignedRequests.element(xml, "UploadId")).isEqualTo(expected);
    }

    private static int crc32c(byte[] b, int length) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, length);
        return (int) crc.getValue();
    }

    @Test
    void aBodyThatDoesNotMatchItsCrc32cIsRefusedBothWaysAndStoresNothing() throws Exception {
        // Under and over SIGNED_BODY_LIMIT: signed with its SHA-256 as well, and unsigned.
        for (int size : new int[] {10_000, SignedRequests.SIGNED_BODY_LIMIT + 1}) {
            refusesAWrongCrc32c(random(size));
        }
    }

    private void refusesAWrongCrc32c(byte[] body) throws Exception {
        int other = crc32c(new byte[body.length], body.length);
        for (ObjectUploads uploads : List.of(new SignedRequests(store), ObjectUploads.sdk(() -> s3, BUCKET))) {
            String name = uploads.getClass().getSimpleName() + " " + body.length;
            assertThatThrownBy(() -> uploads.put("shop/p-1/bad " + name, body, body.length, other, "text/plain"))
                    .as(name).isInstanceOf(ObjectGets.ObjectStoreException.class);
            assertThat(new SignedRequests(store).get("shop/p-1/bad " + name)).as(name).isNull();

            String key = "shop/p-1/bad part " + name;
            String uploadId = uploads.startMultipart(key);
            assertThatThrownBy(() -> uploads.uploadPart(key, uploadId, 1, body, body.length, other))
                    .as(name).isInstanceOf(ObjectGets.ObjectStoreException.class);
            uploads.abortMultipart(key, uploadId);
            assertThat(new SignedRequests(store).get(key)).as(name).isNull();
        }
    }

    @Test
    // Without the watchdog the write blocks for good (checked: over 10 minutes); a separate thread
    // lets the timeout fail the test instead of hanging the run.
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aPutToAStoreThatStopsReadingIsGivenUpNotLeftHanging() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket()) {
            silent.setReceiveBufferSize(64 * 1024); // fixed (not grown to 32 MiB): the write has to wait
            silent.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 1);
            java.util.List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    held.add(silent.accept()); // and never read from it
                } catch (java.io.IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.start();
            SignedRequests stalled = new SignedRequests(new S3Settings(java.net.URI.create("http://127.0.0.1:"
                    + silent.getLocalPort()), "us-east-1", BUCKET, ACCESS_KEY, SECRET_KEY), java.time.Duration.ofSeconds(1),
                    64L * 1024 * 1024);
            byte[] body = new byte[16 * 1024 * 1024]; // more than the socket buffers take

            assertThatThrownBy(() -> stalled.put("shop/p-1/stalled", body, body.length, crc32c(body, body.length), "text/plain"))
                    .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("took no more of the body");

            for (java.net.Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    // Over TLS the watchdog's disconnect used to wait for the lock the blocked write holds (a TLS
    // close first sends its close_notify): the write never ended (checked: over 90 s).
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aPutOverTlsToAStoreThatStopsReadingIsGivenUpNotLeftHanging(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        char[] password = "changeit".toCharArray();
        java.nio.file.Path keystore = dir.resolve("store.p12");
        Process keytool = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "store", "-keyalg", "EC", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
                "-validity", "2").redirectErrorStream(true).start();
        keytool.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertThat(keytool.waitFor()).isZero();
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(keystore)) {
            ks.load(in, password);
        }
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, password);
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        javax.net.ssl.SSLSocketFactory defaults = javax.net.ssl.HttpsURLConnection.getDefaultSSLSocketFactory();
        javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(tls.getSocketFactory()); // trusts the store
        java.util.List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (javax.net.ssl.SSLServerSocket silent = (javax.net.ssl.SSLServerSocket) tls.getServerSocketFactory().createServerSocket()) {
            silent.setReceiveBufferSize(64 * 1024);
            silent.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 1);
            Thread acceptor = new Thread(() -> {
                try {
                    java.net.Socket s = silent.accept();
                    held.add(s);
                    java.io.InputStream in = s.getInputStream();
                    int matched = 0;
                    while (matched < 4) { // the request's head, then nothing more
                        int b = in.read();
                        if (b < 0) {
                            return;
                        }
                        matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
                    }
                } catch (java.io.IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.start();
            SignedRequests stalled = new SignedRequests(new S3Settings(java.net.URI.create("https://127.0.0.1:"
                    + silent.getLocalPort()), "us-east-1", BUCKET, ACCESS_KEY, SECRET_KEY), java.time.Duration.ofSeconds(1),
                    64L * 1024 * 1024);
            byte[] body = new byte[16 * 1024 * 1024]; // more than the socket buffers take

            assertThatThrownBy(() -> stalled.put("shop/p-1/stalled", body, body.length, crc32c(body, body.length), "text/plain"))
                    .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("took no more of the body");
        } finally {
            javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(defaults);
            for (java.net.Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void aThrottledOrFailingStoreIsAskedAgainARefusalIsNot() throws Exception {
        // A store that answers each request's first attempt with 503 SlowDown (or 403, for /denied).
        java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> attempts = new java.util.concurrent.ConcurrentHashMap<>();
        com.sun.net.httpserver.HttpServer stub = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        stub.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            String request = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
            int n = attempts.computeIfAbsent(request, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
            byte[] answer;
            if (request.contains("denied")) {
                answer = "<Error><Code>AccessDenied</Code></Error>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(403, answer.length);
            } else if (n == 1) {
                answer = "<Error><Code>SlowDown</Code></Error>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(503, answer.length);
            } else {
                answer = "the object".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("ETag", "\"etag-" + n + "\"");
                exchange.sendResponseHeaders(200, answer.length);
            }
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        stub.start();
        try {
            SignedRequests signed = new SignedRequests(new S3Settings(java.net.URI.create("http://127.0.0.1:"
                    + stub.getAddress().getPort()), "us-east-1", BUCKET, ACCESS_KEY, SECRET_KEY));
            byte[] part = random(1000);

            assertThat(signed.uploadPart("shop/p-1/data", "u-1", 1, part, part.length, crc32c(part, part.length)))
                    .isEqualTo("\"etag-2\"");
            assertThat(signed.get("shop/p-1/manifest.json")).asString(java.nio.charset.StandardCharsets.UTF_8).isEqualTo("the object");
            assertThatThrownBy(() -> signed.get("shop/p-1/denied")).hasMessageContaining("403");

            assertThat(attempts.get("PUT /" + BUCKET + "/shop/p-1/data").get()).isEqualTo(2);
            assertThat(attempts.get("GET /" + BUCKET + "/shop/p-1/manifest.json").get()).isEqualTo(2);
            assertThat(attempts.get("GET /" + BUCKET + "/shop/p-1/denied").get()).as("a refusal is final").isEqualTo(1);
        } finally {
            stub.stop(0);
        }
    }

    @Test
    // Without an attempt time-out the SDK's write blocks for good (the review saw over 200 s).
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aPartUploadThroughTheSdkToAStoreThatStopsReadingIsGivenUp() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket()) {
            silent.setReceiveBufferSize(64 * 1024);
            silent.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 8);
            java.util.List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // and never read from them
                    }
                } catch (java.io.IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            S3Settings stalledStore = new S3Settings(java.net.URI.create("http://127.0.0.1:" + silent.getLocalPort()),
                    "us-east-1", BUCKET, ACCESS_KEY, SECRET_KEY);
            try (S3Client client = stalledStore.client()) {
                ObjectUploads sdk = ObjectUploads.sdk(() -> client, BUCKET, java.time.Duration.ofSeconds(1), 64L * 1024 * 1024);
                byte[] body = new byte[16 * 1024 * 1024]; // more than the socket buffers take

                assertThatThrownBy(() -> sdk.uploadPart("shop/p-1/stalled", "u-1", 1, body, body.length,
                        crc32c(body, body.length))).isInstanceOf(RuntimeException.class);
            } finally {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
        }
    }

    @Test
    void theSdkClientsConnectionsGoThroughTheConfiguredProxyUnlessTheHostIsExcluded() throws Exception {
        try (java.net.ServerSocket proxy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            software.amazon.awssdk.http.urlconnection.ProxyConfiguration configured =
                    software.amazon.awssdk.http.urlconnection.ProxyConfiguration.builder()
                            .endpoint(java.net.URI.create("http://127.0.0.1:" + proxy.getLocalPort()))
                            .addNonProxyHost("*.internal").useSystemPropertyValues(false)
                            .useEnvironmentVariablesValues(false).build();
            java.util.concurrent.CompletableFuture<String> firstLine = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (java.net.Socket s = proxy.accept()) {
                    return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                            java.nio.charset.StandardCharsets.US_ASCII)).readLine();
                } catch (java.io.IOException e) {
                    return e.toString();
                }
            });
            java.net.HttpURLConnection c = S3Settings.connections(configured)
                    .createConnection(java.net.URI.create("https://store.example.invalid/bucket/key"));
            c.setConnectTimeout(2_000);
            c.setReadTimeout(2_000);
            Thread connecting = new Thread(() -> {
                try {
                    c.connect();
                } catch (java.io.IOException expected) {
                    // the proxy never answers the CONNECT
                }
            });
            connecting.start();

            assertThat(firstLine.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("CONNECT store.example.invalid:443 HTTP/1.1");
            connecting.join(10_000);
            assertThat(S3Settings.proxyFor("s3.internal", configured)).isEqualTo(java.net.Proxy.NO_PROXY);
            assertThat(S3Settings.proxyFor("s3.amazonaws.com", configured).address())
                    .isEqualTo(new java.net.InetSocketAddress("127.0.0.1", proxy.getLocalPort()));
        }
    }

    @Test
    void aPutWithTheWrongSecretIsRefused() throws Exception {
        SignedRequests wrong = new SignedRequests(new S3Settings(store.endpoint(), "us-east-1", BUCKET, ACCESS_KEY, "not-it"));
        byte[] body = random(100);
        assertThatThrownBy(() -> wrong.put("shop/p-1/refused", body, body.length, crc32c(body, body.length), "text/plain"))
                .isInstanceOf(ObjectGets.ObjectStoreException.class).hasMessageContaining("403");
    }

    @Test
    void bodiesAreReadWholeAndAShortOneIsAnError() throws Exception {
        byte[] b = random(100_000);
        // Announced and as expected: read into one array of that length.
        assertThat(SignedRequests.body(new java.io.ByteArrayInputStream(b), b.length, b.length)).isEqualTo(b);
        // Not announced, or not what a range asked for: read to the end, for the caller to judge.
        assertThat(SignedRequests.body(new java.io.ByteArrayInputStream(b), -1, -1)).isEqualTo(b);
        assertThat(SignedRequests.body(new java.io.ByteArrayInputStream(b), b.length, 10)).isEqualTo(b);
        // Announced but cut short: an error, not a short array.
        assertThatThrownBy(() -> SignedRequests.body(new java.io.ByteArrayInputStream(b, 0, 500), b.length, b.length))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("500 of its 100000 bytes");
    }

    @Test
    void missingKeyIsNullBothWays() {
        assertThat(new SignedRequests(store).get("shop/p-1/none")).isNull();
        assertThat(new SignedRequests(store).getRange("shop/p-1/none", 0, 10)).isNull();
        assertThat(ObjectGets.sdk(() -> s3, BUCKET).get("shop/p-1/none")).isNull();
    }

    @Test
    void wrongSecretIsRefusedWithTheStoresAnswer() {
        SignedRequests wrong = new SignedRequests(new S3Settings(store.endpoint(), "us-east-1", BUCKET, ACCESS_KEY, "not-it"));
        assertThatThrownBy(() -> wrong.get(keys().get(0)))
                .isInstanceOf(ObjectGets.ObjectStoreException.class)
                .hasMessageContaining("403");
    }

    @Test
    void missingBucketIsAnErrorNotAMissingKey() {
        SignedRequests other = new SignedRequests(new S3Settings(store.endpoint(), "us-east-1", "no-such-bucket", ACCESS_KEY,
                SECRET_KEY));
        assertThatThrownBy(() -> other.get(keys().get(0)))
                .isInstanceOf(ObjectGets.ObjectStoreException.class)
                .hasMessageContaining("404");
    }

    @Test
    void unreachableStoreFailsWithItsAddress() {
        SignedRequests nowhere = new SignedRequests(new S3Settings(URI.create("http://127.0.0.1:1"), "us-east-1", BUCKET,
                ACCESS_KEY, SECRET_KEY));
        assertThatThrownBy(() -> nowhere.get("k")).isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("127.0.0.1:1");
    }

    @Test
    void restoresUseSignedRequestsOnlyWithAnEndpointAndAnAccessKey() {
        assertThat(ObjectGets.forRestore(store, () -> s3)).isInstanceOf(SignedRequests.class);
        assertThat(ObjectGets.forRestore(new S3Settings(null, "eu-west-1", BUCKET, ACCESS_KEY, SECRET_KEY), () -> s3))
                .isNotInstanceOf(SignedRequests.class);
        assertThat(ObjectGets.forRestore(new S3Settings(store.endpoint(), "us-east-1", BUCKET, "", ""), () -> s3))
                .isNotInstanceOf(SignedRequests.class);
    }
}
