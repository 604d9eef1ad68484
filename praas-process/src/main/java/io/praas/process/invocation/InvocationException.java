package io.praas.process.invocation;

import io.praas.protocol.ErrorCode;

/** An invocation that ends with a protocol error instead of a RESULT. */
public final class InvocationException extends RuntimeException {
    private final ErrorCode code;

    public InvocationException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
