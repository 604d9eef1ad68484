package io.praas.protocol;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one codec of the frame format of PROTOCOL.md, used by the SDK, the process and the control
 * plane.
 *
 * <pre>{@code
 * Buffer wire = FrameCodec.encode(1, new Message.Ping(new byte[] {1}));
 * Frame back = FrameCodec.decode(wire);   // back.message() is a Message.Ping
 * }</pre>
 */
public final class FrameCodec {
    /** Bytes of the {@code length} field. */
    public static final int LENGTH_FIELD = 4;
    /** Payloads at least this large are not copied by {@link #encodeSharingPayload}; smaller ones are. */
    public static final int SHARED_PAYLOAD_BYTES = 8 * 1024;
    /** {@link #payloadOffset}: the frame's type has no payload at its end. */
    static final int NO_PAYLOAD = -2;
    /** Bytes after {@code length} that every frame has: version, type, flags, requestId. */
    public static final int MIN_LENGTH = 12;
    /** Offset of the body from the start of the frame (including the length field). */
    public static final int HEADER_BYTES = LENGTH_FIELD + MIN_LENGTH;
    public static final int VERSION = 1;
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
    /** Longest {@code str}: its length is a u16. */
    public static final int MAX_STRING_BYTES = 0xFFFF;
    /** ERROR flag: the request was refused before it started, so sending it again cannot run it twice. */
    public static final int FLAG_NOT_STARTED = 0x0001;

    static final int VERSION_OFFSET = 4;
    static final int TYPE_OFFSET = 5;
    static final int FLAGS_OFFSET = 6;
    static final int REQUEST_ID_OFFSET = 8;

    private FrameCodec() {
    }

    /** Encodes one frame with flags 0. */
    public static Buffer encode(long requestId, Message message) {
        return encode(requestId, 0, message);
    }

    /** Encodes one frame. Strings longer than {@link #MAX_STRING_BYTES} throw IllegalArgumentException. */
    public static Buffer encode(long requestId, int flags, Message message) {
        return encode(requestId, flags, message, false);
    }

    /**
     * Encodes one frame whose payload (of INVOKE, RESULT, PING, PONG or MESSAGE) is not copied when
     * it is large: the frame refers to the caller's array, which must not change until the frame
     * has been written.
     */
    public static Buffer encodeSharingPayload(long requestId, Message message) {
        return encode(requestId, 0, message, true);
    }

    private static Buffer encode(long requestId, int flags, Message message, boolean share) {
        int payload = payloadLength(message);
        share = share && payload >= SHARED_PAYLOAD_BYTES;
        BodyWriter body = new BodyWriter(requestId, flags, message.type(), 128 + (share ? 0 : payload), share);
        switch (message.type()) {
            case MessageType.HELLO -> {
                Message.Hello m = (Message.Hello) message;
                body.str(m.application()).str(m.token()).str(m.peerId()).str(m.clientInfo());
            }
            case MessageType.WELCOME -> {
                Message.Welcome m = (Message.Welcome) message;
                body.str(m.processId()).u32(m.maxFrameBytes()).str(m.serverInfo());
            }
            case MessageType.OK -> { }
            case MessageType.OPEN_SESSION -> body.str(((Message.OpenSession) message).sessionId());
            case MessageType.SESSION -> {
                Message.SessionOpened m = (Message.SessionOpened) message;
                body.str(m.sessionId()).u8(m.resumed() ? 1 : 0);
            }
            case MessageType.CLOSE_SESSION -> body.str(((Message.CloseSession) message).sessionId());
            case MessageType.INVOKE -> {
                Message.Invoke m = (Message.Invoke) message;
                body.str(m.function()).str(m.sessionId()).u32(m.timeoutMs()).bytes(m.input());
            }
            case MessageType.RESULT -> body.bytes(((Message.Result) message).output());
            case MessageType.PING -> body.bytes(((Message.Ping) message).data());
            case MessageType.PONG -> body.bytes(((Message.Pong) message).data());
            case MessageType.MESSAGE -> {
                Message.PeerMessage m = (Message.PeerMessage) message;
                body.str(m.fromProcess()).str(m.key()).bytes(m.data());
            }
            case MessageType.GOAWAY -> {
                Message.GoAway m = (Message.GoAway) message;
                body.u16(m.reason().code()).str(m.detail());
            }
            case MessageType.ERROR -> {
                Message.Error m = (Message.Error) message;
                body.u16(m.code().code()).str(m.message());
            }
            case MessageType.REGISTER -> {
                Message.Register m = (Message.Register) message;
                body.str(m.application()).str(m.processId()).str(m.token()).str(m.dataHost()).u16(m.dataPort())
                        .str(m.runtimeInfo());
            }
            case MessageType.HEARTBEAT -> {
                Message.Heartbeat m = (Message.Heartbeat) message;
                body.u64(m.invocations()).u64(m.activeSessions()).u64(m.stateBytes()).u64(m.lastActivityEpochMs())
                        .u64(m.inFlight());
            }
            case MessageType.SWAP_OUT -> {
                Message.SwapOut m = (Message.SwapOut) message;
                body.u64(m.generation()).u32(m.drainTimeoutMs());
                if (m.ifIdleSinceEpochMs() != 0) { // only then: a process that predates it decodes the rest
                    body.u64(m.ifIdleSinceEpochMs());
                }
            }
            case MessageType.SWAPPED -> {
                Message.Swapped m = (Message.Swapped) message;
                body.u64(m.generation()).str(m.manifestKey()).u64(m.snapshotBytes()).u64(m.stateBytes())
                        .u64(m.durationMs()).bytes(m.inline());
            }
            case MessageType.RESTORE_FAILED -> {
                Message.RestoreFailed m = (Message.RestoreFailed) message;
                body.str(m.application()).str(m.processId()).str(m.token()).str(m.reason());
            }
            case MessageType.WORLD -> {
                Message.World m = (Message.World) message;
                if (m.processes().size() > 0xFFFF) {
                    throw new IllegalArgumentException("a WORLD holds at most 65535 processes");
                }
                body.u64(m.version()).u16(m.processes().size());
                for (Message.WorldEntry e : m.processes()) {
                    body.str(e.processId()).str(e.status()).str(e.host()).u16(e.port());
                }
            }
            case MessageType.SWAP_IN -> body.str(((Message.SwapIn) message).processId());
            default -> throw new IllegalArgumentException("no encoding for type " + message.type());
        }
        return body.finish();
    }

    /**
     * Decodes one whole frame (length field included, as {@link FrameParser} delivers it).
     *
     * @throws ProtocolException with the frame's requestId for an unsupported version (2), an
     *     unknown type (7) or a body that does not parse (1)
     */
    public static Frame decode(Buffer frame) {
        return decode(frame, null);
    }

    /**
     * Decodes a frame given as its head (length field to the start of the payload) and its payload,
     * read apart by {@link FrameParser}; the message takes {@code payload} as its array.
     */
    static Frame decode(Buffer frame, byte[] payload) {
        if (frame.length() < HEADER_BYTES) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, 0, "frame shorter than its header", true);
        }
        long requestId = frame.getLong(REQUEST_ID_OFFSET);
        int version = frame.getUnsignedByte(VERSION_OFFSET);
        if (version != VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION, requestId,
                    "unsupported protocol version " + version + ", this peer speaks " + VERSION);
        }
        int type = frame.getUnsignedByte(TYPE_OFFSET);
        int flags = frame.getUnsignedShort(FLAGS_OFFSET);
        BodyReader in = new BodyReader(frame, payload, requestId, type);
        Message message = switch (type) {
            case MessageType.HELLO -> new Message.Hello(in.str(), in.str(), in.str(), in.str());
            case MessageType.WELCOME -> new Message.Welcome(in.str(), in.u32(), in.str());
            case MessageType.OK -> new Message.Ok();
            case MessageType.OPEN_SESSION -> new Message.OpenSession(in.str());
            case MessageType.SESSION -> new Message.SessionOpened(in.str(), in.u8() != 0);
            case MessageType.CLOSE_SESSION -> new Message.CloseSession(in.str());
            case MessageType.INVOKE -> new Message.Invoke(in.str(), in.str(), in.u32(), in.rest());
            case MessageType.RESULT -> new Message.Result(in.rest());
            case MessageType.PING -> new Message.Ping(in.rest());
            case MessageType.PONG -> new Message.Pong(in.rest());
            case MessageType.MESSAGE -> new Message.PeerMessage(in.str(), in.str(), in.rest());
            case MessageType.GOAWAY -> new Message.GoAway(GoAwayReason.fromCode(in.u16()), in.str());
            case MessageType.ERROR -> new Message.Error(ErrorCode.fromCode(in.u16()), in.str());
            case MessageType.REGISTER -> new Message.Register(in.str(), in.str(), in.str(), in.str(), in.u16(), in.str());
            case MessageType.HEARTBEAT -> new Message.Heartbeat(in.u64(), in.u64(), in.u64(), in.u64(), in.u64());
            case MessageType.SWAP_OUT -> new Message.SwapOut(in.u64(), in.u32(), in.remaining() >= 8 ? in.u64() : 0);
            case MessageType.SWAPPED -> new Message.Swapped(in.u64(), in.str(), in.u64(), in.u64(), in.u64(), in.rest());
            case MessageType.RESTORE_FAILED -> new Message.RestoreFailed(in.str(), in.str(), in.str(), in.str());
            case MessageType.WORLD -> world(in);
            case MessageType.SWAP_IN -> new Message.SwapIn(in.str());
            default -> throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, requestId,
                    String.format("unknown message type 0x%02X", type));
        };
        in.end();
        return new Frame(flags, requestId, message);
    }

    /**
     * Where the payload of a frame of {@code total} bytes starts, from the first bytes of the frame
     * in {@code head}: the offset, -1 while {@code head} is too short to tell, or {@link #NO_PAYLOAD}
     * for a type without one (or fields that do not fit the frame, left for {@link #decode} to report).
     */
    static int payloadOffset(Buffer head, int total) {
        if (head.length() < HEADER_BYTES) {
            return -1;
        }
        int pos = HEADER_BYTES;
        switch (head.getUnsignedByte(TYPE_OFFSET)) {
            case MessageType.RESULT, MessageType.PING, MessageType.PONG -> { }
            case MessageType.INVOKE -> {
                pos = skipStrings(head, pos, 2, total);
                pos = pos < 0 ? pos : pos + 4;
            }
            case MessageType.MESSAGE -> pos = skipStrings(head, pos, 2, total);
            default -> pos = NO_PAYLOAD;
        }
        if (pos == NO_PAYLOAD || pos > total) {
            return NO_PAYLOAD;
        }
        return pos > head.length() ? -1 : pos;
    }

    /**
     * The offset after {@code n} strings from {@code pos}: -1 if {@code head} ends first, or
     * {@link #NO_PAYLOAD} once a string runs past the frame's {@code total} bytes.
     */
    private static int skipStrings(Buffer head, int pos, int n, int total) {
        for (int i = 0; i < n; i++) {
            if (pos + 2 > total) {
                return NO_PAYLOAD;
            }
            if (head.length() < pos + 2) {
                return -1;
            }
            pos += 2 + head.getUnsignedShort(pos);
        }
        return pos > total ? NO_PAYLOAD : pos;
    }

    private static Message.World world(BodyReader in) {
        long version = in.u64();
        int n = in.u16();
        java.util.List<Message.WorldEntry> entries = new java.util.ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            entries.add(new Message.WorldEntry(in.str(), in.str(), in.str(), in.u16()));
        }
        return new Message.World(version, entries);
    }

    private static int payloadLength(Message message) {
        return switch (message.type()) {
            case MessageType.INVOKE -> ((Message.Invoke) message).input().length;
            case MessageType.RESULT -> ((Message.Result) message).output().length;
            case MessageType.PING -> ((Message.Ping) message).data().length;
            case MessageType.PONG -> ((Message.Pong) message).data().length;
            case MessageType.MESSAGE -> ((Message.PeerMessage) message).data().length;
            default -> 0;
        };
    }

    /** Reads the requestId of a whole frame without decoding its body (0 if the frame is too short). */
    public static long requestIdOf(Buffer frame) {
        return frame.length() >= HEADER_BYTES ? frame.getLong(REQUEST_ID_OFFSET) : 0;
    }

    /** UTF-8 size of a string, without encoding it (a lone surrogate counts 3, an upper bound). */
    public static int utf8Length(String s) {
        int n = s.length();
        int bytes = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static final class BodyWriter {
        private final Buffer buf;
        private final boolean share;
        /** A payload referred to, not copied (it is always a frame's last field). */
        private byte[] shared;

        BodyWriter(long requestId, int flags, int type, int sizeHint, boolean share) {
            this.share = share;
            buf = Buffer.buffer(sizeHint);
            buf.appendInt(0).appendByte((byte) VERSION).appendByte((byte) type)
                    .appendUnsignedShort(flags).appendLong(requestId);
        }

        BodyWriter u8(int v) {
            buf.appendUnsignedByte((short) v);
            return this;
        }

        BodyWriter u16(int v) {
            buf.appendUnsignedShort(v);
            return this;
        }

        BodyWriter u32(long v) {
            if (v < 0 || v > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("u32 out of range: " + v);
            }
            buf.appendUnsignedInt(v);
            return this;
        }

        BodyWriter u64(long v) {
            buf.appendLong(v);
            return this;
        }

        BodyWriter str(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > MAX_STRING_BYTES) {
                throw new IllegalArgumentException("string longer than " + MAX_STRING_BYTES + " bytes");
            }
            buf.appendUnsignedShort(bytes.length).appendBytes(bytes);
            return this;
        }

        BodyWriter bytes(byte[] b) {
            if (share) {
                shared = b;
            } else {
                buf.appendBytes(b);
            }
            return this;
        }

        Buffer finish() {
            if (shared == null) {
                buf.setInt(0, buf.length() - LENGTH_FIELD);
                return buf;
            }
            buf.setInt(0, buf.length() - LENGTH_FIELD + shared.length);
            return BufferInternal.buffer(Unpooled.wrappedBuffer(((BufferInternal) buf).getByteBuf(),
                    Unpooled.wrappedBuffer(shared)));
        }
    }

    private static final class BodyReader {
        private final Buffer frame;
        /** The payload read apart from the frame's head, or null. */
        private final byte[] payload;
        private final long requestId;
        private final int type;
        private int pos = HEADER_BYTES;
        private boolean payloadTaken;

        BodyReader(Buffer frame, byte[] payload, long requestId, int type) {
            this.frame = frame;
            this.payload = payload;
            this.requestId = requestId;
            this.type = type;
        }

        private void need(int n, String what) {
            if (frame.length() - pos < n) {
                throw malformed("missing " + what);
            }
        }

        private ProtocolException malformed(String why) {
            return new ProtocolException(ErrorCode.MALFORMED_FRAME, requestId,
                    String.format("malformed body of type 0x%02X: %s", type, why));
        }

        int u8() {
            need(1, "u8 field");
            return frame.getUnsignedByte(pos++);
        }

        int u16() {
            need(2, "u16 field");
            int v = frame.getUnsignedShort(pos);
            pos += 2;
            return v;
        }

        long u32() {
            need(4, "u32 field");
            long v = frame.getUnsignedInt(pos);
            pos += 4;
            return v;
        }

        long u64() {
            need(8, "u64 field");
            long v = frame.getLong(pos);
            pos += 8;
            return v;
        }

        String str() {
            int len = u16();
            if (frame.length() - pos < len) {
                throw malformed("str of " + len + " bytes longer than the frame");
            }
            String s = len == 0 ? "" : utf8(len);
            pos += len;
            return s;
        }

        private String utf8(int len) {
            byte[] raw = frame.getBytes(pos, pos + len);
            boolean ascii = true;
            for (byte b : raw) {
                if (b < 0) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) {
                return new String(raw, StandardCharsets.ISO_8859_1); // names and ids: no decoder needed
            }
            ByteBuffer bytes = ByteBuffer.wrap(raw);
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(bytes);
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw malformed("str is not valid UTF-8");
            }
        }

        int remaining() {
            return frame.length() - pos;
        }

        byte[] rest() {
            if (payload != null && pos == frame.length()) {
                payloadTaken = true; // the parser cut the head where the payload starts
                return payload;
            }
            byte[] b = frame.getBytes(pos, frame.length());
            pos = frame.length();
            return b;
        }

        void end() {
            if (pos != frame.length()) {
                throw malformed((frame.length() - pos) + " unexpected trailing bytes");
            }
            if (payload != null && !payloadTaken) {
                throw malformed(payload.length + " unexpected trailing bytes");
            }
        }
    }
}
