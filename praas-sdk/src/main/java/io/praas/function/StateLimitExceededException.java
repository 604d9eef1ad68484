package io.praas.function;

/**
 * A state write that would take the process over its state limit. The write did not happen. If the
 * function does not catch it, the invocation answers ERROR 18 (STATE_LIMIT_EXCEEDED).
 *
 * <pre>{@code
 * try {
 *     ctx.processState().putBytes("cache:" + key, blob);
 * } catch (StateLimitExceededException full) {
 *     ctx.processState().delete("cache:" + oldest);   // make room, or answer without caching
 * }
 * }</pre>
 */
public final class StateLimitExceededException extends RuntimeException {
    private final long limitBytes;
    private final long requestedBytes;

    public StateLimitExceededException(long limitBytes, long requestedBytes) {
        super("state limit of " + limitBytes + " bytes exceeded: the write needs " + requestedBytes
                + " bytes in total; delete state, or raise the limit (the application's limits.stateLimitMiB; "
                + "--state-limit of a process run standalone)");
        this.limitBytes = limitBytes;
        this.requestedBytes = requestedBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }
}
