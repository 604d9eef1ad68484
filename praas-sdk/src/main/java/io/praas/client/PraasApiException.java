package io.praas.client;

import io.praas.protocol.ErrorCode;

/**
 * An HTTP 4xx/5xx answer of the control plane's REST API: {@link #status()} is the HTTP status,
 * {@link #error()} the error code of its JSON body {@code {"error": CODE, "message": text}}
 * (NOT_FOUND, INVALID_ARGUMENT, UNAUTHENTICATED, FORBIDDEN, CONFLICT, OVERLOADED, TIMEOUT,
 * FUNCTION_FAILED, PROCESS_UNAVAILABLE, ...), {@link #detail()} its message and {@link #hint()}
 * what to do about it. {@link #code()} is the matching protocol code where there is one, else
 * {@link ErrorCode#UNKNOWN}.
 *
 * <pre>{@code
 * try {
 *     praas.getApplication("shop");
 * } catch (PraasApiException e) {
 *     if (e.status() == 404) { praas.createApplication(ApplicationSpec.named("shop")); } else { throw e; }
 * }
 * }</pre>
 */
public final class PraasApiException extends PraasException {
    private final int status;
    private final String error;
    private final String hint;

    /**
     * @param status the HTTP status
     * @param error  the error code of the body, or {@code HTTP_<status>} when the body had none
     * @param detail the message of the body
     * @param hint   what to do about it ("" for nothing to add)
     */
    public PraasApiException(int status, String error, String detail, String hint) {
        this(status, error, detail, hint, false);
    }

    /**
     * As {@link #PraasApiException(int, String, String, String)}, for an answer to an invocation
     * that may have run on the process all the same ({@link #mayHaveRun()}).
     */
    public PraasApiException(int status, String error, String detail, String hint, boolean mayHaveRun) {
        super(protocolCode(error), detail, null, mayHaveRun);
        this.status = status;
        this.error = error;
        this.hint = hint == null ? "" : hint;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The REST API's error code, e.g. {@code NOT_FOUND}. */
    public String error() {
        return error;
    }

    /** What to do about it, or "". */
    public String hint() {
        return hint;
    }

    @Override
    public String getMessage() {
        return error + ": " + detail() + " (HTTP " + status + ")" + (hint.isEmpty() ? "" : "; " + hint);
    }

    /** True for answers a later retry may not meet: 429, 502, 503. */
    @Override
    public boolean retryable() {
        return status == 429 || status == 502 || status == 503;
    }

    private static ErrorCode protocolCode(String error) {
        if (error == null) {
            return ErrorCode.UNKNOWN;
        }
        try {
            return ErrorCode.valueOf(error);
        } catch (IllegalArgumentException e) {
            return ErrorCode.UNKNOWN;
        }
    }
}
