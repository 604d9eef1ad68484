package io.praas.client;

import java.time.Duration;

/**
 * Options of an invocation through the control plane: the sticky process, the session on it, and
 * the timeout. Nulls are the control plane's choices (any process, no session, 30 s).
 *
 * <pre>{@code
 * InvokeResult r = praas.invoke("shop", "addItem", payload,
 *         InvokeOptions.DEFAULT.onProcess("cart-1").inSession("alice").withTimeout(Duration.ofSeconds(5)));
 * }</pre>
 *
 * @param process the process that must run it, or null for any (allocating one if needed)
 * @param session the session on that process, or null for none (needs {@code process})
 * @param timeout the timeout of the invocation on the process, or null for the control plane's
 */
public record InvokeOptions(String process, String session, Duration timeout) {
    /** Any process, no session, the default timeout. */
    public static final InvokeOptions DEFAULT = new InvokeOptions(null, null, null);

    public InvokeOptions {
        if (timeout != null && (timeout.isNegative() || timeout.toMillis() < 1)) {
            throw new IllegalArgumentException("timeout must be at least 1 ms: " + timeout);
        }
    }

    public InvokeOptions onProcess(String processId) {
        return new InvokeOptions(processId, session, timeout);
    }

    public InvokeOptions inSession(String sessionId) {
        return new InvokeOptions(process, sessionId, timeout);
    }

    public InvokeOptions withTimeout(Duration t) {
        return new InvokeOptions(process, session, t);
    }
}
