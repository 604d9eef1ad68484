package io.praas.protocol;

/**
 * The type bytes of PROTOCOL.md, as named constants.
 *
 * <pre>{@code
 * if (FrameCodec.decode(buffer).message().type() == MessageType.RESULT) { ... }
 * }</pre>
 */
public final class MessageType {
    public static final int HELLO = 0x01;
    public static final int WELCOME = 0x02;
    public static final int OK = 0x03;
    public static final int OPEN_SESSION = 0x10;
    public static final int SESSION = 0x11;
    public static final int CLOSE_SESSION = 0x12;
    public static final int INVOKE = 0x20;
    public static final int RESULT = 0x21;
    public static final int PING = 0x30;
    public static final int PONG = 0x31;
    public static final int MESSAGE = 0x40;
    public static final int GOAWAY = 0x7E;
    public static final int ERROR = 0x7F;

    // Control channel, process <-> control plane (docs/PROTOCOL.md, "Control channel").
    public static final int REGISTER = 0x80;
    public static final int HEARTBEAT = 0x81;
    public static final int SWAP_OUT = 0x82;
    public static final int SWAPPED = 0x83;
    public static final int RESTORE_FAILED = 0x84;
    public static final int WORLD = 0x85;
    public static final int SWAP_IN = 0x86;

    private MessageType() {
    }
}
