package io.praas.codec;

/** A value that a codec cannot encode, or bytes it cannot decode. */
public final class CodecException extends RuntimeException {
    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
