package io.praas.process.storage;

import io.praas.auth.HmacSha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * The requests a process makes of an S3-compatible endpoint (path-style), signed with AWS Signature
 * Version 4 over the JDK's HttpURLConnection: GETs and ranged GETs, PUTs, multipart uploads, listings
 * and deletes. A few classes instead of the AWS SDK's thousands, so a swap-in starts reading its
 * snapshot as soon as its JVM is up and a process never builds an SDK client (most of a second of
 * CPU). A GET's payload is unsigned (UNSIGNED-PAYLOAD; it has none) and Range is not a signed header,
 * as S3 allows. A data body (a part, a PUT over {@link #SIGNED_BODY_LIMIT}) is sent unsigned too, with
 * its CRC32C in the signed header {@code x-amz-checksum-crc32c}, which the store checks (S3's flexible
 * checksums): no SHA-256 of the data, which costs a new JVM ~10 ms per MiB until the JIT compiles it.
 * Smaller PUTs (manifests) and every other body are signed with their SHA-256 as well. The store's small XML
 * answers are read for the few elements needed (UploadId, Key, IsTruncated, NextContinuationToken;
 * of a listing of unfinished uploads each Upload's Key and UploadId, NextKeyMarker, NextUploadIdMarker).
 *
 * <pre>{@code
 * ObjectGets gets = new SignedRequests(new S3Settings(URI.create("http://127.0.0.1:9000"), "us-east-1",
 *         "praas", "access", "secret"));
 * byte[] part = gets.getRange("app/p-1/gen-3/data", 0, 8 << 20);
 * }</pre>
 */
public final class SignedRequests implements ObjectGets, ObjectUploads {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    /** Bodies of PUTs up to this size are signed with their SHA-256 as well as sent with their CRC32C. */
    static final int SIGNED_BODY_LIMIT = 64 * 1024;
    /** The header with a body's CRC32C (base64 of its 4 bytes, big-endian), as S3 names it. */
    static final String CHECKSUM_CRC32C = "x-amz-checksum-crc32c";
    private static final String UNSIGNED = "UNSIGNED-PAYLOAD";
    /** The SHA-256 of an empty body. */
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /** Bodies up to this size with an announced length are read into an array of that length. */
    static final long MAX_EXACT_BYTES = 256L * 1024 * 1024;

    /** Ends a body's write that the store stopped reading (a socket write has no timeout of its own). */
    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "praas-s3-watchdog");
                t.setDaemon(true);
                return t;
            });
    /**
     * TLS sockets that close at once (SO_LINGER 0): a TLS close first takes the lock a blocked write
     * holds, so without it the watchdog's disconnect of a body the store stopped reading never ended
     * the write. Otherwise the sockets of the factory the connection had (the default one); equal for
     * equal factories, so kept-alive connections are reused.
     */
    static final class LingerZero extends javax.net.ssl.SSLSocketFactory {
        private static volatile LingerZero last;
        private final javax.net.ssl.SSLSocketFactory tls;

        private LingerZero(javax.net.ssl.SSLSocketFactory tls) {
            this.tls = tls;
        }

        static LingerZero of(javax.net.ssl.SSLSocketFactory tls) {
            if (tls instanceof LingerZero already) {
                return already;
            }
            LingerZero l = last;
            if (l == null || l.tls != tls) {
                last = l = new LingerZero(tls);
            }
            return l;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LingerZero other && other.tls.equals(tls);
        }

        @Override
        public int hashCode() {
            return tls.hashCode();
        }

        private static <S extends java.net.Socket> S lingerZero(S s) throws java.net.SocketException {
            s.setSoLinger(true, 0);
            return s;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return tls.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return tls.getSupportedCipherSuites();
        }

        @Override
        public java.net.Socket createSocket() throws IOException {
            return lingerZero(tls.createSocket());
        }

        @Override
        public java.net.Socket createSocket(java.net.Socket s, String host, int port, boolean autoClose) throws IOException {
            lingerZero(s);
            return lingerZero(tls.createSocket(s, host, port, autoClose));
        }

        @Override
        public java.net.Socket createSocket(String host, int port) throws IOException {
            return lingerZero(tls.createSocket(host, port));
        }

        @Override
        public java.net.Socket createSocket(String host, int port, java.net.InetAddress local, int localPort)
                throws IOException {
            return lingerZero(tls.createSocket(host, port, local, localPort));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port) throws IOException {
            return lingerZero(tls.createSocket(host, port));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress local,
                                            int localPort) throws IOException {
            return lingerZero(tls.createSocket(address, port, local, localPort));
        }
    }

    /** The slowest a store may take a body before its request is given up: 1 MiB/s, after {@link #stall}. */
    private static final long MIN_BYTES_PER_SECOND = 1024 * 1024;

    private final S3Settings settings;
    /** How long a request may make no progress: its answer (a read timeout) or the write of its body. */
    private final java.time.Duration stall;
    private final long minBytesPerSecond;
    private final String host;
    private final String basePath;

    public SignedRequests(S3Settings settings) {
        this(settings, S3Settings.READ_TIMEOUT, MIN_BYTES_PER_SECOND);
    }

    /** With other limits than {@link S3Settings#READ_TIMEOUT} and 1 MiB/s (tests). */
    SignedRequests(S3Settings settings, java.time.Duration stall, long minBytesPerSecond) {
        this.settings = settings;
        this.stall = stall;
        this.minBytesPerSecond = minBytesPerSecond;
        URI e = settings.endpoint();
        int port = e.getPort();
        boolean defaultPort = port == -1 || ("http".equals(e.getScheme()) && port == 80)
                || ("https".equals(e.getScheme()) && port == 443);
        this.host = e.getHost() + (defaultPort ? "" : ":" + port);
        String path = e.getRawPath() == null ? "" : e.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    @Override
    public byte[] get(String key) {
        return fetch(key, null, -1);
    }

    @Override
    public byte[] getRange(String key, long offset, long size) {
        return fetch(key, "bytes=" + offset + "-" + (offset + size - 1), size);
    }

    @Override
    public void put(String key, byte[] body, int length, int crc32c, String contentType) {
        // A small body (a manifest, the commit point of a snapshot) is signed with its SHA-256 too:
        // a few KiB cost nothing to hash, and its signature then covers its content.
        String payloadHash = length <= SIGNED_BODY_LIMIT ? hex(sha256(body, length)) : UNSIGNED;
        send("PUT", key, "", body, length, payloadHash, contentType, checksum(crc32c));
    }

    @Override
    public String startMultipart(String key) {
        // The object's type (without one the JDK would send a form's for a POST).
        String answer = text(send("POST", key, "uploads=", new byte[0], 0, EMPTY_SHA256, "application/octet-stream",
                new java.util.TreeMap<>(java.util.Map.of("x-amz-checksum-algorithm", "CRC32C"))));
        String uploadId = element(answer, "UploadId");
        if (uploadId == null) {
            throw new ObjectStoreException("POST " + key + "?uploads answered no UploadId: " + shorten(answer));
        }
        return uploadId;
    }

    @Override
    public String uploadPart(String key, String uploadId, int number, byte[] body, int length, int crc32c) {
        Answer a = send("PUT", key, "partNumber=" + number + "&uploadId=" + encodeQuery(uploadId), body, length,
                UNSIGNED, "application/octet-stream", checksum(crc32c));
        if (a.etag() == null) {
            throw new ObjectStoreException("PUT of part " + number + " of " + key + " answered no ETag");
        }
        return a.etag();
    }

    @Override
    public void completeMultipart(String key, String uploadId, java.util.List<UploadedPart> parts) {
        StringBuilder xml = new StringBuilder("<CompleteMultipartUpload>");
        for (int i = 0; i < parts.size(); i++) {
            xml.append("<Part><PartNumber>").append(i + 1).append("</PartNumber><ETag>")
                    .append(escape(parts.get(i).etag())).append("</ETag><ChecksumCRC32C>")
                    .append(ObjectUploads.base64(parts.get(i).crc32c())).append("</ChecksumCRC32C></Part>");
        }
        byte[] body = xml.append("</CompleteMultipartUpload>").toString().getBytes(StandardCharsets.UTF_8);
        String payloadHash = hex(sha256(body));
        retrying(() -> {
            String answer = text(sendOnce("POST", key, "uploadId=" + encodeQuery(uploadId), body, body.length,
                    payloadHash, "application/xml", NO_HEADERS));
            // S3 may answer 200 and still report a failure in the body (an InternalError: sent again).
            if (answer.contains("<Error>") || !answer.contains("CompleteMultipartUploadResult")) {
                throw new ObjectStoreException(answer.contains("<Code>InternalError</Code>") ? 500 : -1,
                        "completing the upload of " + key + " failed: " + shorten(answer));
            }
            return null;
        });
    }

    @Override
    public void abortMultipart(String key, String uploadId) {
        send("DELETE", key, "uploadId=" + encodeQuery(uploadId), null);
    }

    @Override
    public int deleteUnder(String prefix, java.util.function.Predicate<String> keep) {
        int deleted = 0;
        String token = null;
        boolean truncated;
        do {
            String query = (token == null ? "" : "continuation-token=" + encodeQuery(token) + "&")
                    + "list-type=2&prefix=" + encodeQuery(prefix);
            String answer = text(send("GET", null, query, null));
            for (String key : elements(answer, "Key")) {
                if (!keep.test(key)) {
                    send("DELETE", key, "", null);
                    deleted++;
                }
            }
            truncated = "true".equals(element(answer, "IsTruncated"));
            token = element(answer, "NextContinuationToken");
            if (truncated && token == null) {
                throw new ObjectStoreException("listing " + prefix + " is truncated without a continuation token");
            }
        } while (truncated);
        return deleted;
    }

    @Override
    public int abortUploadsUnder(String prefix, java.util.function.Predicate<String> keep) {
        int aborted = 0;
        String keyMarker = null;
        String uploadIdMarker = null;
        ObjectStoreException failed = null;
        boolean truncated;
        do {
            // The query in canonical order: key-marker, prefix, upload-id-marker, uploads.
            String query = (keyMarker == null ? "" : "key-marker=" + encodeQuery(keyMarker) + "&")
                    + "prefix=" + encodeQuery(prefix) + "&"
                    + (uploadIdMarker == null ? "" : "upload-id-marker=" + encodeQuery(uploadIdMarker) + "&")
                    + "uploads=";
            String answer = text(send("GET", null, query, null));
            for (String upload : elements(answer, "Upload", Integer.MAX_VALUE, false)) {
                String key = element(upload, "Key");
                String uploadId = element(upload, "UploadId");
                if (key != null && uploadId != null && !keep.test(key)) {
                    try {
                        abortMultipart(key, uploadId);
                        aborted++;
                    } catch (ObjectStoreException e) {
                        // Gone already (another cleanup aborted it meanwhile) is done; else the others still go.
                        if (!e.getMessage().contains("NoSuchUpload") && failed == null) {
                            failed = e;
                        }
                    }
                }
            }
            truncated = "true".equals(element(answer, "IsTruncated"));
            String nextKey = element(answer, "NextKeyMarker");
            String nextUploadId = element(answer, "NextUploadIdMarker");
            if (truncated && (nextKey == null
                    || nextKey.equals(keyMarker) && java.util.Objects.equals(nextUploadId, uploadIdMarker))) {
                throw new ObjectStoreException("the uploads under " + prefix + " are listed truncated without a "
                        + "next marker past " + keyMarker);
            }
            keyMarker = nextKey;
            uploadIdMarker = nextUploadId;
        } while (truncated);
        if (failed != null) {
            throw failed;
        }
        return aborted;
    }

    /** True when these requests can reach {@code settings}' store: an S3-compatible endpoint and an access key. */
    public static boolean usableFor(S3Settings settings) {
        return settings.endpoint() != null && settings.hasAccessKey();
    }

    /** What the store answered a request that succeeded: its ETag header and its body. */
    private record Answer(String etag, byte[] body) {
    }

    /** A signed request without a body ({@code key} null: to the bucket itself). */
    private Answer send(String method, String key, String query, String contentType) {
        return send(method, key, query, new byte[0], 0, EMPTY_SHA256, contentType, NO_HEADERS);
    }

    private static final java.util.SortedMap<String, String> NO_HEADERS = java.util.Collections.emptySortedMap();

    private static java.util.SortedMap<String, String> checksum(int crc32c) {
        return new java.util.TreeMap<>(java.util.Map.of(CHECKSUM_CRC32C, ObjectUploads.base64(crc32c)));
    }

    /** The canonical path of {@code key} in the bucket; of the bucket itself for null. */
    private String path(String key) {
        return basePath + "/" + encode(settings.bucket()) + (key == null ? "" : "/" + encode(key));
    }

    /**
     * A connection for one request, its timeouts set and its headers signed (with {@code amz}, more
     * x-amz-* headers, lower case); nothing sent yet.
     */
    private HttpURLConnection open(String method, String path, String query, String payloadHash, String contentType,
                                   java.util.SortedMap<String, String> amz) throws IOException {
        String amzDate = AMZ_DATE.format(ZonedDateTime.now(ZoneOffset.UTC));
        URI e = settings.endpoint();
        HttpURLConnection c = (HttpURLConnection) URI.create(e.getScheme() + "://" + host + path
                + (query.isEmpty() ? "" : "?" + query)).toURL().openConnection();
        if (c instanceof javax.net.ssl.HttpsURLConnection tls) {
            tls.setSSLSocketFactory(LingerZero.of(tls.getSSLSocketFactory()));
        }
        c.setConnectTimeout((int) S3Settings.CONNECT_TIMEOUT.toMillis());
        c.setReadTimeout((int) stall.toMillis());
        c.setRequestMethod(method);
        if (contentType != null) {
            c.setRequestProperty("Content-Type", contentType);
        }
        c.setRequestProperty("x-amz-date", amzDate);
        c.setRequestProperty("x-amz-content-sha256", payloadHash);
        amz.forEach(c::setRequestProperty);
        c.setRequestProperty("Authorization", authorization(method, path, query, amzDate, payloadHash, amz));
        return c;
    }

    /**
     * One signed request with a body ({@code query} in canonical form: sorted, encoded; {@code key}
     * null: to the bucket itself); a status other than 2xx is an {@link ObjectStoreException} with
     * the store's answer.
     */
    private Answer send(String method, String key, String query, byte[] body, int length, String payloadHash,
                        String contentType, java.util.SortedMap<String, String> amz) {
        return retrying(() -> sendOnce(method, key, query, body, length, payloadHash, contentType, amz));
    }

    /** Attempts of a request whose store answered 500, 502, 503 or 504, or whose connection broke. */
    static final int ATTEMPTS = 4;
    /** The pause before the second attempt; it doubles for each further one, give or take half. */
    static final long BACKOFF_MS = 100;

    /**
     * Runs {@code attempt} until it succeeds, fails for good, or has run {@link #ATTEMPTS} times: a
     * throttled store (503 SlowDown) or a reset connection fails one request of a swap, not the
     * swap. Every request here may be sent again (a PUT, GET or DELETE of a key; a multipart
     * upload's creation whose answer was lost leaves an upload the generation's clean-up aborts).
     */
    static <T> T retrying(java.util.function.Supplier<T> attempt) {
        for (int n = 1; ; n++) {
            try {
                return attempt.get();
            } catch (ObjectStoreException e) {
                int status = e.status();
                if (n >= ATTEMPTS || !(status == 500 || status == 502 || status == 503 || status == 504)) {
                    throw e;
                }
            } catch (UncheckedIOException e) {
                // A connection refused or reset; not a read that timed out (it waited its whole stall
                // already) nor a body the store stopped taking.
                if (n >= ATTEMPTS || !(e.getCause() instanceof java.net.SocketException)) {
                    throw e;
                }
            }
            long pause = (BACKOFF_MS << (n - 1)) / 2 + java.util.concurrent.ThreadLocalRandom.current()
                    .nextLong(BACKOFF_MS << (n - 1));
            try {
                Thread.sleep(pause);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new UncheckedIOException(new java.io.InterruptedIOException("interrupted between attempts"));
            }
        }
    }

    private Answer sendOnce(String method, String key, String query, byte[] body, int length, String payloadHash,
                            String contentType, java.util.SortedMap<String, String> amz) {
        String path = path(key);
        try {
            HttpURLConnection c = open(method, path, query, payloadHash, contentType, amz);
            if (length > 0 || method.equals("PUT") || method.equals("POST")) {
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(length);
                long limitMs = stall.toMillis() + 1000L * length / minBytesPerSecond;
                // Set before the disconnect: a write the disconnect ends may return while the
                // watchdog's task is still running, when cancel() would still say it never ran.
                java.util.concurrent.atomic.AtomicBoolean gaveUp = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.ScheduledFuture<?> giveUp = WATCHDOG.schedule(() -> {
                    gaveUp.set(true);
                    // On a thread of its own: a disconnect that blocks must not hold up the other
                    // requests' watchdogs.
                    Thread disconnect = new Thread(c::disconnect, "praas-s3-give-up");
                    disconnect.setDaemon(true);
                    disconnect.start();
                }, limitMs, java.util.concurrent.TimeUnit.MILLISECONDS);
                IOException failed = null;
                try (java.io.OutputStream out = c.getOutputStream()) {
                    out.write(body, 0, length);
                } catch (IOException writeFailed) {
                    failed = writeFailed;
                }
                giveUp.cancel(false);
                if (gaveUp.get()) { // the connection is gone, whatever the write said
                    throw new IOException("the store took no more of the body for " + limitMs + " ms", failed);
                }
                if (failed != null) {
                    throw failed;
                }
            }
            int status = c.getResponseCode();
            if (status / 100 == 2) {
                try (InputStream in = c.getInputStream()) {
                    return new Answer(c.getHeaderField("ETag"), in.readAllBytes());
                }
            }
            throw refused(c, method + " " + path + (query.isEmpty() ? "" : "?" + query), status, errorBody(c));
        } catch (IOException ex) {
            throw new UncheckedIOException(method + " " + path + " at " + settings.endpoint() + " failed: "
                    + ex.getMessage(), ex);
        }
    }

    private static String text(Answer a) {
        return new String(a.body(), StandardCharsets.UTF_8);
    }

    /** The text of the first {@code <name>} element of a small XML answer, unescaped; null if there is none. */
    static String element(String xml, String name) {
        java.util.List<String> all = elements(xml, name, 1, true);
        return all.isEmpty() ? null : all.get(0);
    }

    /** The texts of every {@code <name>} element of an XML answer, unescaped, in order. */
    static java.util.List<String> elements(String xml, String name) {
        return elements(xml, name, Integer.MAX_VALUE, true);
    }

    /** The texts of at most {@code most} {@code <name>} elements, unescaped or (for elements in elements) as they are. */
    private static java.util.List<String> elements(String xml, String name, int most, boolean unescape) {
        java.util.List<String> found = new java.util.ArrayList<>();
        String open = "<" + name + ">";
        String close = "</" + name + ">";
        int from = xml.indexOf(open);
        while (from >= 0 && found.size() < most) {
            int to = xml.indexOf(close, from);
            if (to < 0) {
                break;
            }
            String text = xml.substring(from + open.length(), to);
            found.add(!unescape ? text : text.replace("&quot;", "\"").replace("&apos;", "'")
                    .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
            from = xml.indexOf(open, to);
        }
        return found;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String shorten(String s) {
        s = s.strip();
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    /** {@code expected}: the body's size when known (a range), else -1. */
    private byte[] fetch(String key, String range, long expected) {
        return retrying(() -> fetchOnce(key, range, expected));
    }

    private byte[] fetchOnce(String key, String range, long expected) {
        String path = path(key);
        try {
            HttpURLConnection c = open("GET", path, "", UNSIGNED, null, NO_HEADERS);
            if (range != null) {
                c.setRequestProperty("Range", range);
            }
            int status = c.getResponseCode();
            if (status == 200 || status == 206) {
                try (InputStream in = c.getInputStream()) {
                    return body(in, c.getContentLengthLong(), expected);
                }
            }
            String body = errorBody(c);
            if (status == 404 && !body.contains("NoSuchBucket")) {
                c.disconnect();
                return null;
            }
            throw refused(c, "GET " + path, status, body);
        } catch (IOException ex) {
            throw new UncheckedIOException("GET " + path + " from " + settings.endpoint() + " failed: " + ex.getMessage(), ex);
        }
    }

    /**
     * The body, read straight into one array when its length is announced (and, for a range, is the
     * range's): a part of several MiB then takes reads as large as the socket gives, not 8 KiB
     * chunks joined at the end. Otherwise (or over {@link #MAX_EXACT_BYTES}) read to its end.
     */
    static byte[] body(InputStream in, long contentLength, long expected) throws IOException {
        if (contentLength < 0 || contentLength > MAX_EXACT_BYTES || (expected >= 0 && contentLength != expected)) {
            return in.readAllBytes();
        }
        byte[] b = new byte[(int) contentLength];
        int n = in.readNBytes(b, 0, b.length);
        if (n < b.length) {
            throw new IOException("the body ended after " + n + " of its " + contentLength + " bytes");
        }
        return b;
    }

    /** The Authorization header of a request {@code method} of {@code path} with the canonical {@code query} at {@code amzDate}. */
    String authorization(String method, String path, String query, String amzDate, String payloadHash,
                         java.util.SortedMap<String, String> amz) {
        String date = amzDate.substring(0, 8);
        String scope = date + "/" + settings.region() + "/s3/aws4_request";
        // Every signed header, in name order.
        java.util.SortedMap<String, String> headers = new java.util.TreeMap<>(amz);
        headers.put("host", host);
        headers.put("x-amz-content-sha256", payloadHash);
        headers.put("x-amz-date", amzDate);
        StringBuilder canonicalHeaders = new StringBuilder();
        headers.forEach((name, value) -> canonicalHeaders.append(name).append(':').append(value).append('\n'));
        String signedHeaders = String.join(";", headers.keySet());
        String canonical = method + "\n" + path + "\n" + query + "\n" + canonicalHeaders + "\n"
                + signedHeaders + "\n" + payloadHash;
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical));
        byte[] key = hmac(("AWS4" + settings.secretKey()).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, settings.region());
        key = hmac(key, "s3");
        key = hmac(key, "aws4_request");
        return "AWS4-HMAC-SHA256 Credential=" + settings.accessKey() + "/" + scope + ", SignedHeaders="
                + signedHeaders + ", Signature=" + hex(hmac(key, toSign));
    }

    /** URI-encodes every byte but the unreserved characters and '/', as SigV4's canonical URI wants. */
    static String encode(String s) {
        return encode(s, true);
    }

    /** URI-encodes a query value: as {@link #encode}, '/' too. */
    static String encodeQuery(String s) {
        return encode(s, false);
    }

    private static String encode(String s, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", (int) c));
            }
        }
        return out.toString();
    }

    /** The failure for an error answer; its connection is dropped (an answer not read to its end cannot be reused). */
    private static ObjectStoreException refused(HttpURLConnection c, String request, int status, String body) {
        c.disconnect();
        return new ObjectStoreException(status, request + " answered " + status + ": " + body);
    }

    private static String errorBody(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            if (err == null) {
                return "";
            }
            return shorten(new String(err.readNBytes(600), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "";
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        return HmacSha256.of(key, data);
    }

    private static byte[] sha256(String s) {
        return sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256(byte[] b) {
        return sha256(b, b.length);
    }

    private static byte[] sha256(byte[] b, int length) {
        MessageDigest sha = HmacSha256.sha256();
        sha.update(b, 0, length);
        return sha.digest();
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
