package io.praas.protocol;

/**
 * The {@code reason} of a GOAWAY frame.
 *
 * <pre>{@code
 * Message.GoAway g = client.goAway();
 * if (g != null && g.reason() == GoAwayReason.SWAPPING_OUT) { ... reconnect through the control plane ... }
 * }</pre>
 */
public enum GoAwayReason {
    SWAPPING_OUT(1),
    STOPPING(2),
    IDLE(3),
    OVERLOADED(4),
    UNKNOWN(0);

    private final int code;

    GoAwayReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static GoAwayReason fromCode(int code) {
        for (GoAwayReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return UNKNOWN;
    }
}
