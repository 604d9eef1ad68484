package io.praas.protocol;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * Splits a TCP byte stream into whole frames. Each frame is handed on with its length field, ready
 * for {@link FrameCodec#decode}. A {@code length} over {@code maxFrameBytes} or under 12 is a fatal
 * {@link ProtocolException} (ERROR 5 or 1 with requestId 0); the parser then ignores all further
 * input, because the stream can no longer be trusted.
 *
 * <pre>{@code
 * FrameParser parser = new FrameParser(FrameCodec.DEFAULT_MAX_FRAME_BYTES, this::onFrame, this::onFatal);
 * socket.handler(parser);
 * }</pre>
 *
 * <p>Not thread-safe: feed it from one thread (the connection's event loop).
 */
public final class FrameParser implements Handler<Buffer> {
    /** Largest buffer reserved before a frame's bytes arrive: a claimed length alone reserves no more. */
    static final int INITIAL_BUFFER = 64 * 1024;

    private long maxFrameBytes;
    private final Handler<Buffer> frames;
    private final Handler<ProtocolException> fatal;

    /** Bytes of a frame being assembled, or of a partial length field; null between frames. */
    private Buffer partial;
    /** Total size (length field included) of the frame in {@link #partial}, or -1 if not yet known. */
    private int expected = -1;
    private boolean failed;

    public FrameParser(long maxFrameBytes, Handler<Buffer> frames, Handler<ProtocolException> fatal) {
        // A frame must fit a Java buffer, whatever limit a peer announces.
        this.maxFrameBytes = Math.min(maxFrameBytes, Integer.MAX_VALUE - FrameCodec.LENGTH_FIELD);
        this.frames = frames;
        this.fatal = fatal;
    }

    /** Changes the limit for frames not yet started (a process raises it once the dialler is welcomed). */
    public void maxFrameBytes(long max) {
        this.maxFrameBytes = Math.min(max, Integer.MAX_VALUE - FrameCodec.LENGTH_FIELD);
    }

    @Override
    public void handle(Buffer chunk) {
        if (failed) {
            return;
        }
        int pos = 0;
        int end = chunk.length();
        if (partial != null) {
            pos = completePartial(chunk);
            if (pos < 0) {
                return;
            }
        }
        // Frames that lie whole inside this chunk are sliced, not copied.
        while (!failed && end - pos >= FrameCodec.LENGTH_FIELD) {
            int total = frameSize(chunk.getUnsignedInt(pos));
            if (total < 0) {
                return;
            }
            if (end - pos < total) {
                break;
            }
            frames.handle(chunk.slice(pos, pos + total));
            pos += total;
        }
        if (!failed && pos < end) {
            startPartial(chunk, pos, end);
        }
    }

    /** Appends to the frame in progress; returns the chunk offset after it, or -1 if the chunk is used up. */
    private int completePartial(Buffer chunk) {
        int pos = 0;
        if (expected < 0) {
            int need = FrameCodec.LENGTH_FIELD - partial.length();
            int take = Math.min(need, chunk.length());
            partial.appendBuffer(chunk, 0, take);
            pos = take;
            if (partial.length() < FrameCodec.LENGTH_FIELD) {
                return -1;
            }
            int total = frameSize(partial.getUnsignedInt(0));
            if (total < 0) {
                return -1;
            }
            Buffer sized = Buffer.buffer(Math.min(total, INITIAL_BUFFER));
            sized.appendBuffer(partial);
            partial = sized;
            expected = total;
        }
        int take = Math.min(expected - partial.length(), chunk.length() - pos);
        partial.appendBuffer(chunk, pos, take);
        pos += take;
        if (partial.length() < expected) {
            return -1;
        }
        Buffer frame = partial;
        partial = null;
        expected = -1;
        frames.handle(frame);
        return pos;
    }

    private void startPartial(Buffer chunk, int pos, int end) {
        if (end - pos < FrameCodec.LENGTH_FIELD) {
            partial = Buffer.buffer(FrameCodec.LENGTH_FIELD);
            partial.appendBuffer(chunk, pos, end - pos);
            expected = -1;
            return;
        }
        int total = frameSize(chunk.getUnsignedInt(pos));
        partial = Buffer.buffer(Math.min(total, Math.max(INITIAL_BUFFER, end - pos)));
        partial.appendBuffer(chunk, pos, end - pos);
        expected = total;
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
        partial = null;
        fatal.handle(e);
    }
}
