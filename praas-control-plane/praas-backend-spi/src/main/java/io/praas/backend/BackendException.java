package io.praas.backend;

/**
 * A backend could not do what was asked. {@link #reason()} tells the control plane which HTTP
 * answer fits.
 */
public class BackendException extends RuntimeException {
    /** Why a backend operation failed. */
    public enum Reason {
        /** The request asks for more than the backend allows (resources over its caps). */
        INVALID_REQUEST,
        /** No capacity right now; retry later. */
        CAPACITY,
        /** The backend's credentials do not allow the operation. */
        PERMISSION,
        /** Anything else. */
        FAILED
    }

    private final Reason reason;

    public BackendException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public BackendException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
