package io.praas.protocol;

/** The {@code reason} of a GOAWAY frame. */
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
