package io.praas.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Splits a TCP byte stream into whole frames. A {@code length} over {@code maxFrameBytes} or under
 * 12 is a fatal {@link ProtocolException} (ERROR 5 or 1 with requestId 0); the parser then ignores
 * all further input, because the stream can no longer be trusted.
 *
 * <p>Two ways to use it. Built with a {@code Handler<Buffer>}, it hands on each frame with its
 * length field, ready for {@link FrameCodec#decode}:
 *
 * <pre>{@code
 * FrameParser parser = new FrameParser(FrameCodec.DEFAULT_MAX_FRAME_BYTES, this::onFrame, this::onFatal);
 * socket.handler(parser);
 * }</pre>
 *
 * <p>Built with {@link #decoding}, it decodes the frames itself, and reads the payload of a large
 * INVOKE, RESULT, MESSAGE, PING or PONG straight from the socket's buffers into the payload's own
 * array: one copy, as a blocking socket read makes, instead of four. Feed it Netty's buffers with
 * {@link #onMessage} (it releases them):
 *
 * <pre>{@code
 * FrameParser parser = FrameParser.decoding(limit, this::onFrame, this::onMalformed, this::onFatal);
 * ((NetSocketInternal) socket).messageHandler(parser::onMessage);
 * }</pre>
 *
 * <p>Not thread-safe: feed it from one thread (the connection's event loop).
 */
public final class FrameParser implements Handler<Buffer> {
    /** Frames at least this large, of a type that ends in a payload, are read straight into the payload's array. */
    static final int DIRECT_PAYLOAD_BYTES = 8 * 1024;
    /** Bytes taken at a time while looking for where a direct frame's payload starts. */
    static final int HEAD_PROBE_BYTES = 256;
    /** The most reserved up front on a frame's claimed length; a longer frame's buffer grows as its bytes arrive. */
    static final int MAX_RESERVED_BYTES = 64 * 1024 * 1024;
    /** Frames up to this size are reserved up front without asking the {@link Reservations}. */
    static final int UNCOUNTED_BYTES = 64 * 1024;

    /**
     * What the parsers of one server may reserve up front on claimed frame lengths, together. A
     * frame that finds no room is still read, into a buffer that grows as its bytes arrive: a
     * sender that announces large frames and sends nothing then holds only what it sent.
     * Thread-safe.
     *
     * <pre>{@code
     * FrameParser.Reservations budget = new FrameParser.Reservations(Runtime.getRuntime().maxMemory() / 4);
     * FrameParser p = FrameParser.decoding(max, frames, malformed, fatal, budget);
     * }</pre>
     */
    public static final class Reservations {
        private final long limit;
        private final AtomicLong inUse = new AtomicLong();

        public Reservations(long limitBytes) {
            if (limitBytes < 0) {
                throw new IllegalArgumentException("a reservation limit is not negative: " + limitBytes);
            }
            this.limit = limitBytes;
        }

        boolean tryTake(long bytes) {
            while (true) {
                long now = inUse.get();
                if (now + bytes > limit) {
                    return false;
                }
                if (inUse.compareAndSet(now, now + bytes)) {
                    return true;
                }
            }
        }

        void give(long bytes) {
            inUse.addAndGet(-bytes);
        }

        /** Bytes reserved now by all parsers sharing this budget. */
        public long inUse() {
            return inUse.get();
        }

        public long limit() {
            return limit;
        }
    }

    private long maxFrameBytes;
    private final Handler<Buffer> frames;
    /** Decoding mode: where decoded frames and frames whose body does not decode go. */
    private final Handler<Frame> decoded;
    private final Handler<ProtocolException> malformed;
    private final Handler<ProtocolException> fatal;
    /** Shared budget for up-front reservations of frames over {@link #UNCOUNTED_BYTES}; null: none. */
    private final Reservations reservations;
    /** Bytes of {@link #reservations} the frame in progress holds. */
    private long reserved;

    /** Bytes of the frame being assembled (or, for a direct payload, of its head); null between frames. */
    private Buffer partial;
    /** Total size (length field included) of the frame in progress, or -1 if not yet known. */
    private int expected = -1;
    /** True for a frame read straight into its payload array: its head is gathered, then the payload fills. */
    private boolean direct;
    /** The payload array of a direct frame, once its offset is known, and how much of it has arrived. */
    private byte[] payload;
    private int payloadFilled;
    private boolean failed;

    public FrameParser(long maxFrameBytes, Handler<Buffer> frames, Handler<ProtocolException> fatal) {
        this(maxFrameBytes, frames, null, null, fatal, null);
    }

    private FrameParser(long maxFrameBytes, Handler<Buffer> frames, Handler<Frame> decoded,
                        Handler<ProtocolException> malformed, Handler<ProtocolException> fatal,
                        Reservations reservations) {
        // A frame must fit a Java buffer, whatever limit a peer announces.
        this.maxFrameBytes = Math.min(maxFrameBytes, Integer.MAX_VALUE - FrameCodec.LENGTH_FIELD);
        this.frames = frames;
        this.decoded = decoded;
        this.malformed = malformed;
        this.fatal = fatal;
        this.reservations = reservations;
    }

    /**
     * A parser that decodes each frame and reads large payloads straight into their arrays.
     * {@code malformed} gets a whole frame whose body did not decode (the stream is intact: answer
     * it with an error); {@code fatal} a stream that can no longer be trusted.
     */
    public static FrameParser decoding(long maxFrameBytes, Handler<Frame> frames, Handler<ProtocolException> malformed,
                                       Handler<ProtocolException> fatal) {
        return new FrameParser(maxFrameBytes, null, frames, malformed, fatal, null);
    }

    /**
     * Like {@link #decoding(long, Handler, Handler, Handler)}, reserving frames over 64 KiB up front
     * only while {@code reservations} has room (a server's parsers share one). Call
     * {@link #release()} when the connection closes.
     */
    public static FrameParser decoding(long maxFrameBytes, Handler<Frame> frames, Handler<ProtocolException> malformed,
                                       Handler<ProtocolException> fatal, Reservations reservations) {
        return new FrameParser(maxFrameBytes, null, frames, malformed, fatal, reservations);
    }

    /** Drops the frame in progress and gives back what it reserved (its connection closed). */
    public void release() {
        reset();
    }

    /** Changes the limit for frames not yet started (a process raises it once the dialler is welcomed). */
    public void maxFrameBytes(long max) {
        this.maxFrameBytes = Math.min(max, Integer.MAX_VALUE - FrameCodec.LENGTH_FIELD);
    }

    @Override
    public void handle(Buffer chunk) {
        handle(((BufferInternal) chunk).getByteBuf());
    }

    /**
     * Takes a message of a Vert.x socket's message handler: Netty's buffer, read without the copy
     * the Buffer handler makes; released here.
     */
    public void onMessage(Object message) {
        try {
            if (message instanceof ByteBuf bytes) {
                handle(bytes);
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    private void handle(ByteBuf chunk) {
        int pos = chunk.readerIndex();
        int end = chunk.writerIndex();
        while (!failed && pos < end) {
            if (partial == null) {
                // A small frame that lies whole inside this chunk goes out in one go: decoded from
                // the chunk itself (decoding copies every field out), or copied for a Buffer handler.
                if (end - pos >= FrameCodec.LENGTH_FIELD) {
                    int total = frameSize(chunk.getUnsignedInt(pos));
                    if (total < 0) {
                        return;
                    }
                    if (end - pos >= total && !readsDirect(total)) {
                        deliver(decoded != null ? BufferInternal.buffer(chunk.slice(pos, total)) : copy(chunk, pos, total));
                        pos += total;
                        continue;
                    }
                }
                partial = Buffer.buffer(FrameCodec.LENGTH_FIELD);
            }
            pos = continueFrame(chunk, pos, end);
            if (pos < 0) {
                return;
            }
        }
    }

    /** Adds the chunk's bytes from {@code pos} to the frame in progress; the offset after it, or -1 when used up. */
    private int continueFrame(ByteBuf chunk, int pos, int end) {
        if (expected < 0) {
            int take = Math.min(FrameCodec.LENGTH_FIELD - partial.length(), end - pos);
            append(chunk, pos, take);
            pos += take;
            if (partial.length() < FrameCodec.LENGTH_FIELD) {
                return -1;
            }
            int total = frameSize(partial.getUnsignedInt(0));
            if (total < 0) {
                return -1;
            }
            expected = total;
            boolean upFront = reserve(total);
            direct = upFront && readsDirect(total);
            if (!direct) {
                Buffer sized = Buffer.buffer(upFront ? Math.min(total, MAX_RESERVED_BYTES) : UNCOUNTED_BYTES);
                sized.appendBuffer(partial);
                partial = sized;
            }
        }
        while (true) {
            if (payload != null) {
                int take = Math.min(payload.length - payloadFilled, end - pos);
                chunk.getBytes(pos, payload, payloadFilled, take);
                payloadFilled += take;
                pos += take;
                if (payloadFilled < payload.length) {
                    return -1;
                }
                finishDirect();
                return pos;
            }
            if (direct) {
                // The head (header and the fields before the payload) is gathered a little at a time, so
                // that hardly any payload bytes take the detour through it.
                int take = Math.min(Math.min(expected - partial.length(), end - pos),
                        Math.max(HEAD_PROBE_BYTES, partial.length()));
                append(chunk, pos, take);
                pos += take;
                int offset = FrameCodec.payloadOffset(partial, expected);
                if (offset > 0) {
                    startPayload(offset);
                    if (payload == null) {
                        return pos; // the whole frame was in the head: decoded already
                    }
                } else if (offset == FrameCodec.NO_PAYLOAD || partial.length() == expected) {
                    direct = false; // nothing to read into: assembled and decoded like any other frame
                } else if (pos == end) {
                    return -1;
                }
                continue;
            }
            int take = Math.min(expected - partial.length(), end - pos);
            append(chunk, pos, take);
            pos += take;
            if (partial.length() < expected) {
                return -1;
            }
            Buffer frame = partial;
            reset();
            deliver(frame);
            return pos;
        }
    }

    /** Moves what arrived past the payload offset into the payload's array. */
    private void startPayload(int offset) {
        payload = new byte[expected - offset];
        payloadFilled = partial.length() - offset;
        partial.getBytes(offset, partial.length(), payload, 0);
        partial = partial.getBuffer(0, offset);
        if (payloadFilled == payload.length) {
            finishDirect();
        }
    }

    private void finishDirect() {
        Buffer head = partial;
        byte[] body = payload;
        reset();
        try {
            decoded.handle(FrameCodec.decode(head, body));
        } catch (ProtocolException e) {
            malformed.handle(e);
        }
    }

    /**
     * Whether a frame of {@code total} bytes may be reserved up front: small ones always, larger ones
     * when the budget has room (taken from it), never without a budget.
     */
    private boolean reserve(int total) {
        if (total <= UNCOUNTED_BYTES) {
            return true;
        }
        if (reservations == null) {
            return false;
        }
        long bytes = Math.min(total, MAX_RESERVED_BYTES);
        if (reservations.tryTake(bytes)) {
            reserved = bytes;
            return true;
        }
        return false;
    }

    private void reset() {
        if (reserved > 0) {
            reservations.give(reserved);
            reserved = 0;
        }
        partial = null;
        payload = null;
        payloadFilled = 0;
        expected = -1;
        direct = false;
    }

    private boolean readsDirect(int total) {
        return decoded != null && total >= DIRECT_PAYLOAD_BYTES && total <= MAX_RESERVED_BYTES;
    }

    private void append(ByteBuf chunk, int pos, int length) {
        if (length > 0) {
            partial.appendBuffer(BufferInternal.buffer(chunk.slice(pos, length)));
        }
    }

    private static Buffer copy(ByteBuf chunk, int pos, int length) {
        return Buffer.buffer(length).appendBuffer(BufferInternal.buffer(chunk.slice(pos, length)));
    }

    private void deliver(Buffer frame) {
        if (decoded == null) {
            frames.handle(frame);
            return;
        }
        Frame f;
        try {
            f = FrameCodec.decode(frame);
        } catch (ProtocolException e) {
            malformed.handle(e);
            return;
        }
        decoded.handle(f);
    }

    /** The whole frame size for a length field, or -1 after reporting a fatal error. */
    private int frameSize(long length) {
        if (length > maxFrameBytes) {
            fail(new ProtocolException(ErrorCode.FRAME_TOO_LARGE, 0,
                    "frame of " + length + " bytes over the limit of " + maxFrameBytes, true));
            return -1;
        }
        if (length < FrameCodec.MIN_LENGTH) {
            fail(new ProtocolException(ErrorCode.MALFORMED_FRAME, 0,
                    "frame length " + length + " under the minimum of " + FrameCodec.MIN_LENGTH, true));
            return -1;
        }
        return (int) length + FrameCodec.LENGTH_FIELD;
    }

    private void fail(ProtocolException e) {
        failed = true;
        reset();
        fatal.handle(e);
    }
}
