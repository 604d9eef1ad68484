package io.praas.process.storage;

import io.praas.auth.HmacSha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * GETs of an S3-compatible endpoint (path-style) signed with AWS Signature Version 4, over the
 * JDK's HttpURLConnection: a few classes instead of the AWS SDK's thousands, so a swap-in starts
 * reading its snapshot as soon as its JVM is up. Payloads are unsigned (UNSIGNED-PAYLOAD; a GET has
 * none) and Range is not a signed header, as S3 allows.
 *
 * <pre>{@code
 * ObjectGets gets = new SignedGets(new S3Settings(URI.create("http://127.0.0.1:9000"), "us-east-1",
 *         "praas", "access", "secret"));
 * byte[] part = gets.getRange("app/p-1/gen-3/data", 0, 8 << 20);
 * }</pre>
 */
public final class SignedGets implements ObjectGets {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final String SIGNED_HEADERS = "host;x-amz-content-sha256;x-amz-date";
    private static final String UNSIGNED = "UNSIGNED-PAYLOAD";
    /** Bodies up to this size with an announced length are read into an array of that length. */
    static final long MAX_EXACT_BYTES = 256L * 1024 * 1024;

    private final S3Settings settings;
    private final String host;
    private final String basePath;

    public SignedGets(S3Settings settings) {
        this.settings = settings;
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

    /** {@code expected}: the body's size when known (a range), else -1. */
    private byte[] fetch(String key, String range, long expected) {
        String path = basePath + "/" + encode(settings.bucket()) + "/" + encode(key);
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        String amzDate = AMZ_DATE.format(now);
        HttpURLConnection c = null;
        try {
            URI e = settings.endpoint();
            c = (HttpURLConnection) URI.create(e.getScheme() + "://" + host + path).toURL().openConnection();
            c.setConnectTimeout((int) S3Settings.CONNECT_TIMEOUT.toMillis());
            c.setReadTimeout((int) S3Settings.READ_TIMEOUT.toMillis());
            c.setRequestProperty("x-amz-date", amzDate);
            c.setRequestProperty("x-amz-content-sha256", UNSIGNED);
            c.setRequestProperty("Authorization", authorization(path, amzDate));
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
                return null;
            }
            throw new ObjectStoreException("GET " + path + " answered " + status + ": " + body);
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

    /** The Authorization header of a GET of {@code path} at {@code amzDate}. */
    String authorization(String path, String amzDate) {
        String date = amzDate.substring(0, 8);
        String scope = date + "/" + settings.region() + "/s3/aws4_request";
        String canonical = "GET\n" + path + "\n\n"
                + "host:" + host + "\n" + "x-amz-content-sha256:" + UNSIGNED + "\n" + "x-amz-date:" + amzDate + "\n\n"
                + SIGNED_HEADERS + "\n" + UNSIGNED;
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical));
        byte[] key = hmac(("AWS4" + settings.secretKey()).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, settings.region());
        key = hmac(key, "s3");
        key = hmac(key, "aws4_request");
        return "AWS4-HMAC-SHA256 Credential=" + settings.accessKey() + "/" + scope + ", SignedHeaders="
                + SIGNED_HEADERS + ", Signature=" + hex(hmac(key, toSign));
    }

    /** URI-encodes every byte but the unreserved characters and '/', as SigV4's canonical URI wants. */
    static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", (int) c));
            }
        }
        return out.toString();
    }

    private static String errorBody(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            if (err == null) {
                return "";
            }
            String s = new String(err.readNBytes(600), StandardCharsets.UTF_8).strip();
            return s.length() > 300 ? s.substring(0, 300) + "..." : s;
        } catch (IOException e) {
            return "";
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        return HmacSha256.of(key, data);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
