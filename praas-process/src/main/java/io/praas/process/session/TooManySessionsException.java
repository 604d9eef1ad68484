package io.praas.process.session;

/** The process holds its maximum number of sessions: answered with OVERLOADED. */
public final class TooManySessionsException extends RuntimeException {
    public TooManySessionsException(int max) {
        super("the process holds its maximum of " + max + " sessions; close sessions, or raise the limit (the "
                + "application's limits.maxSessionsPerProcess; --max-sessions of a process run standalone)");
    }
}
