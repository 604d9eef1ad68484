package io.praas.controlplane;

/**
 * A request the control plane cannot serve; the REST API answers {@link #status()} with the JSON
 * body {@code {"error": code, "message": ...}}.
 */
public final class ControlPlaneException extends RuntimeException {
    /** Error codes of the REST API and their HTTP statuses. */
    public enum Code {
        INVALID_ARGUMENT(400), UNAUTHENTICATED(401), FORBIDDEN(403), NOT_FOUND(404), CONFLICT(409),
        PAYLOAD_TOO_LARGE(413), OVERLOADED(429), INTERNAL(500), FUNCTION_FAILED(500), BAD_GATEWAY(502),
        PROCESS_UNAVAILABLE(503), TIMEOUT(504), STATE_LIMIT_EXCEEDED(507), SWAP_FAILED(502);

        private final int status;

        Code(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final Code code;

    public ControlPlaneException(Code code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    public int status() {
        return code.status();
    }

    public static ControlPlaneException notFound(String message) {
        return new ControlPlaneException(Code.NOT_FOUND, message);
    }

    public static ControlPlaneException invalid(String message) {
        return new ControlPlaneException(Code.INVALID_ARGUMENT, message);
    }

    public static ControlPlaneException conflict(String message) {
        return new ControlPlaneException(Code.CONFLICT, message);
    }
}
