package io.praas.client;

import io.praas.protocol.ErrorCode;

/**
 * A request that failed: {@link #code()} is the protocol error code (PROTOCOL.md), or
 * {@link ErrorCode#UNKNOWN} for a failure on this side (connection refused or lost).
 *
 * <pre>{@code
 * try {
 *     session.invoke("charge", payload);
 * } catch (PraasException e) {
 *     if (e.code() == ErrorCode.OVERLOADED) { retryLater(); } else { throw e; }
 * }
 * }</pre>
 */
public class PraasException extends RuntimeException {
    private final ErrorCode code;
    private final String detail;

    public PraasException(ErrorCode code, String detail) {
        this(code, detail, null);
    }

    public PraasException(ErrorCode code, String detail, Throwable cause) {
        super(code + ": " + detail, cause);
        this.code = code;
        this.detail = detail;
    }

    /** The message without the code. */
    public String detail() {
        return detail;
    }

    public ErrorCode code() {
        return code;
    }

    /** True for failures that a later retry may not meet (OVERLOADED, PROCESS_UNAVAILABLE). */
    public boolean retryable() {
        return code == ErrorCode.OVERLOADED || code == ErrorCode.PROCESS_UNAVAILABLE;
    }
}
