package io.praas.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * HMAC-SHA256 (RFC 2104) over the JDK's SHA-256 {@link MessageDigest}, for tokens and request
 * signatures. It gives the same bytes as {@code Mac.getInstance("HmacSHA256")}, without what that
 * costs on first use: the JCE's provider and policy set-up took ~60 ms of the first HELLO a process
 * verified and of the first snapshot request a swap-in signed.
 *
 * <pre>{@code
 * byte[] signature = HmacSha256.of(secret, "app|process|1767225600");
 * }</pre>
 */
public final class HmacSha256 {
    private static final int BLOCK = 64;

    private HmacSha256() {
    }

    /** The HMAC-SHA256 of {@code message}'s UTF-8 bytes under {@code key}. */
    public static byte[] of(byte[] key, String message) {
        return of(key, message.getBytes(StandardCharsets.UTF_8));
    }

    /** The HMAC-SHA256 of {@code message} under {@code key} (any length; longer than 64 bytes is hashed first). */
    public static byte[] of(byte[] key, byte[] message) {
        MessageDigest sha = sha256();
        byte[] k = new byte[BLOCK];
        byte[] given = key.length > BLOCK ? sha.digest(key) : key;
        System.arraycopy(given, 0, k, 0, given.length);
        byte[] pad = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            pad[i] = (byte) (k[i] ^ 0x36);
        }
        sha.update(pad);
        byte[] inner = sha.digest(message);
        for (int i = 0; i < BLOCK; i++) {
            pad[i] = (byte) (k[i] ^ 0x5c);
        }
        sha.update(pad);
        return sha.digest(inner);
    }

    /** A new SHA-256 digest (the JDK always has one). */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
