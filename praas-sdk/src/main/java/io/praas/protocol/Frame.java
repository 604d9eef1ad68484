package io.praas.protocol;

/**
 * One decoded frame.
 *
 * <pre>{@code
 * Frame f = FrameCodec.decode(buffer);
 * if (f.message() instanceof Message.Result r) { ... r.output() ... }
 * }</pre>
 */
public record Frame(int flags, long requestId, Message message) {
}
