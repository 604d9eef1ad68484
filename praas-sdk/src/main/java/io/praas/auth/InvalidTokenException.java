package io.praas.auth;

/**
 * A token that is malformed, forged or expired: the process answers ERROR 3 (UNAUTHENTICATED).
 *
 * <pre>{@code
 * try {
 *     DataPlaneToken.verify(secret, token, Instant.now());
 * } catch (InvalidTokenException e) {
 *     refuse(ErrorCode.UNAUTHENTICATED, e.getMessage());
 * }
 * }</pre>
 */
public final class InvalidTokenException extends RuntimeException {
    public InvalidTokenException(String message) {
        super(message);
    }
}
