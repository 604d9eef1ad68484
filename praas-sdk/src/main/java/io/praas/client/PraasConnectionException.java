package io.praas.client;

import io.praas.protocol.ErrorCode;

/**
 * The control plane could not be reached (connection refused, unknown host, connect timeout, or
 * the connection dropped before an answer). Its {@link #code()} is {@link ErrorCode#UNKNOWN}, as
 * for every failure on the client's side.
 *
 * <pre>{@code
 * try {
 *     praas.health();
 * } catch (PraasConnectionException e) {
 *     System.err.println(e.getMessage());   // says which URL and what to check
 * }
 * }</pre>
 */
public final class PraasConnectionException extends PraasException {

    public PraasConnectionException(String detail, Throwable cause) {
        this(detail, cause, false);
    }

    /** As {@link #PraasConnectionException(String, Throwable)}, for a request that may have run all the same. */
    PraasConnectionException(String detail, Throwable cause, boolean mayHaveRun) {
        super(ErrorCode.UNKNOWN, detail, cause, mayHaveRun);
    }

    @Override
    public String getMessage() {
        return detail();
    }

    /** Always true: the control plane may be back later. */
    @Override
    public boolean retryable() {
        return true;
    }
}
