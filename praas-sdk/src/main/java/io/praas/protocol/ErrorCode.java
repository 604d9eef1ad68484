package io.praas.protocol;

/**
 * The error codes of PROTOCOL.md, carried by ERROR frames and by
 * {@link io.praas.client.PraasException}.
 *
 * <pre>{@code
 * ErrorCode code = ErrorCode.fromCode(14);   // SESSION_NOT_FOUND
 * }</pre>
 */
public enum ErrorCode {
    MALFORMED_FRAME(1),
    UNSUPPORTED_VERSION(2),
    UNAUTHENTICATED(3),
    FORBIDDEN(4),
    FRAME_TOO_LARGE(5),
    HANDSHAKE_REQUIRED(6),
    UNKNOWN_TYPE(7),
    UNKNOWN_FUNCTION(10),
    FUNCTION_FAILED(11),
    TIMEOUT(12),
    OVERLOADED(13),
    SESSION_NOT_FOUND(14),
    PROCESS_UNAVAILABLE(15),
    DUPLICATE_REQUEST_ID(16),
    INVALID_ARGUMENT(17),
    STATE_LIMIT_EXCEEDED(18),
    /** An idle swap-out (the downscaler's) found the process busy: it did nothing and serves on. */
    NOT_IDLE(19),
    /** Not on the wire: a code this build does not know, or a client-side failure (connection lost). */
    UNKNOWN(0);

    private static final ErrorCode[] BY_CODE = new ErrorCode[256];

    static {
        for (ErrorCode c : values()) {
            BY_CODE[c.code] = c;
        }
    }

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The code for a wire value; {@link #UNKNOWN} for values this build does not know. */
    public static ErrorCode fromCode(int code) {
        ErrorCode c = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        return c == null ? UNKNOWN : c;
    }
}
