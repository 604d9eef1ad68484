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
    private final boolean mayHaveRun;

    public PraasException(ErrorCode code, String detail) {
        this(code, detail, null);
    }

    public PraasException(ErrorCode code, String detail, Throwable cause) {
        this(code, detail, cause, false);
    }

    PraasException(ErrorCode code, String detail, Throwable cause, boolean mayHaveRun) {
        super(code + ": " + detail, cause);
        this.code = code;
        this.detail = detail;
        this.mayHaveRun = mayHaveRun;
    }

    /**
     * The failure of a request that reached the process and may have run there, or may yet: its
     * connection closed, or the process gave up on it at the end of a drain, or no answer came in
     * time.
     */
    public static PraasException mayHaveRun(ErrorCode code, String detail) {
        return new PraasException(code, detail, null, true);
    }

    /**
     * True when the request may have run on the process (see {@link #mayHaveRun(ErrorCode, String)}):
     * sending it again may run it twice, so only an idempotent request should be. False when it
     * certainly did not run (refused, invalid, or never sent) or ran and failed (FUNCTION_FAILED).
     */
    public boolean mayHaveRun() {
        return mayHaveRun;
    }

    /** The message without the code. */
    public String detail() {
        return detail;
    }

    public ErrorCode code() {
        return code;
    }

    /**
     * True for failures that a later retry may not meet (OVERLOADED, PROCESS_UNAVAILABLE); whether a
     * retry could run the request twice is {@link #mayHaveRun()}.
     */
    public boolean retryable() {
        return code == ErrorCode.OVERLOADED || code == ErrorCode.PROCESS_UNAVAILABLE;
    }
}
