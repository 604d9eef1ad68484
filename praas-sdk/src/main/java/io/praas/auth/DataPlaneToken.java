package io.praas.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

/**
 * A data-plane token: HMAC-SHA256 over application, optional process and expiry, keyed with the
 * application's secret. Format (see docs/PROTOCOL.md, "Tokens"):
 *
 * <pre>
 * praas1.&lt;b64url(application)&gt;.&lt;b64url(process)&gt;.&lt;expiry epoch seconds&gt;.&lt;b64url(HMAC-SHA256(secret, first four parts joined by "."))&gt;
 * </pre>
 *
 * <pre>{@code
 * String token = DataPlaneToken.issue(secret, "shop", "", Instant.now().plusSeconds(3600));
 * DataPlaneToken claims = DataPlaneToken.verify(secret, token, Instant.now());
 * }</pre>
 *
 * @param application the application the token is for
 * @param process     the process it is for, or empty for any process of the application
 * @param expiresAt   when it stops being valid
 */
public record DataPlaneToken(String application, String process, Instant expiresAt) {
    public static final String PREFIX = "praas1";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    public DataPlaneToken {
        Objects.requireNonNull(application, "application");
        Objects.requireNonNull(process, "process");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** Issues a token for {@code application} (and {@code process}, or "" for any). */
    public static String issue(byte[] secret, String application, String process, Instant expiresAt) {
        String body = PREFIX + "." + b64(application) + "." + b64(process) + "." + expiresAt.getEpochSecond();
        return body + "." + B64.encodeToString(hmac(secret, body));
    }

    /**
     * Checks the signature and expiry of a token and returns its claims. Whether the claims fit the
     * process is the caller's check ({@link #allows}).
     *
     * @throws InvalidTokenException when the token is malformed, forged or expired
     */
    public static DataPlaneToken verify(byte[] secret, String token, Instant now) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 5 || !PREFIX.equals(parts[0])) {
            throw new InvalidTokenException("malformed token: expected praas1.<app>.<process>.<expiry>.<signature>");
        }
        int sigStart = token.lastIndexOf('.');
        byte[] expected = hmac(secret, token.substring(0, sigStart));
        byte[] given;
        try {
            given = B64D.decode(parts[4]);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("malformed token signature");
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw new InvalidTokenException("token signature does not verify");
        }
        Instant expiresAt;
        String application;
        String process;
        try {
            expiresAt = Instant.ofEpochSecond(Long.parseLong(parts[3]));
            application = new String(B64D.decode(parts[1]), StandardCharsets.UTF_8);
            process = new String(B64D.decode(parts[2]), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException | DateTimeException e) {
            throw new InvalidTokenException("malformed token claims");
        }
        if (!now.isBefore(expiresAt)) {
            throw new InvalidTokenException("token expired at " + expiresAt);
        }
        return new DataPlaneToken(application, process, expiresAt);
    }

    /**
     * The application a token claims to be for, without checking it: to tell "wrong application"
     * (FORBIDDEN) from "forged" (UNAUTHENTICATED) before the right secret is known.
     */
    public static java.util.Optional<String> claimedApplication(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 5 || !PREFIX.equals(parts[0])) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(new String(B64D.decode(parts[1]), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** True when this token admits a dialler to {@code processId} of {@code app}. */
    public boolean allows(String app, String processId) {
        return application.equals(app) && (process.isEmpty() || process.equals(processId));
    }

    private static String b64(String s) {
        return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] secret, String body) {
        return HmacSha256.of(secret, body);
    }
}
