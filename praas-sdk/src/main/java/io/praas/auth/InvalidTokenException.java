package io.praas.auth;

/** A token that is malformed, forged or expired: the process answers ERROR 3 (UNAUTHENTICATED). */
public final class InvalidTokenException extends RuntimeException {
    public InvalidTokenException(String message) {
        super(message);
    }
}
