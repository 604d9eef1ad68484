package io.praas.process.function;

/** The application jar cannot be loaded: the process does not start. */
public final class FunctionLoadingException extends RuntimeException {
    public FunctionLoadingException(String message) {
        super(message);
    }

    public FunctionLoadingException(String message, Throwable cause) {
        super(message, cause);
    }
}
