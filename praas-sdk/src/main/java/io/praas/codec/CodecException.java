package io.praas.codec;

/**
 * A value that a codec cannot encode, or bytes it cannot decode.
 *
 * <pre>{@code
 * try {
 *     Order o = Codecs.json(Order.class).decode(bytes);
 * } catch (CodecException e) {
 *     log.warn("not an order: {}", e.getMessage());
 * }
 * }</pre>
 */
public final class CodecException extends RuntimeException {
    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
