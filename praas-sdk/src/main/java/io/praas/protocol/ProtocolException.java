package io.praas.protocol;

/**
 * A frame that breaks PROTOCOL.md: the receiver answers ERROR {@link #code()} with
 * {@link #requestId()}, and closes the connection when {@link #fatal()}.
 *
 * <pre>{@code
 * try {
 *     Frame f = FrameCodec.decode(bytes);
 * } catch (ProtocolException e) {
 *     socket.write(FrameCodec.encode(e.requestId(), new Message.Error(e.code(), e.getMessage())));
 *     if (e.fatal()) { socket.close(); }
 * }
 * }</pre>
 */
public final class ProtocolException extends RuntimeException {
    private final ErrorCode code;
    private final long requestId;
    private final boolean fatal;

    public ProtocolException(ErrorCode code, long requestId, String message, boolean fatal) {
        super(message, null, false, false);
        this.code = code;
        this.requestId = requestId;
        this.fatal = fatal;
    }

    public ProtocolException(ErrorCode code, long requestId, String message) {
        this(code, requestId, message, false);
    }

    public ErrorCode code() {
        return code;
    }

    public long requestId() {
        return requestId;
    }

    /** True when the stream can no longer be trusted and the connection must close. */
    public boolean fatal() {
        return fatal;
    }
}
