package io.praas.process.auth;

import io.praas.auth.DataPlaneToken;
import io.praas.auth.InvalidTokenException;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Message;

import java.time.Clock;

/**
 * Decides whether a HELLO may open a connection (PROTOCOL.md rule 1 and "Tokens"): the application
 * must be this process's (or empty), and the token must verify with the application's secret and
 * allow this process; a peer (a HELLO with a {@code peerId}) needs an application token, not one
 * for a single process. In dev mode an empty token is accepted.
 */
public final class HelloAuthenticator {
    private final String application;
    private final String processId;
    private final byte[] secret;
    private final boolean dev;
    private final Clock clock;

    public HelloAuthenticator(String application, String processId, byte[] secret, boolean dev, Clock clock) {
        if (!dev && (secret == null || secret.length == 0)) {
            throw new IllegalArgumentException("an application secret is required outside dev mode");
        }
        this.application = application;
        this.processId = processId;
        this.secret = secret;
        this.dev = dev;
        this.clock = clock;
    }

    /** A refused HELLO: the connection gets ERROR {@code code} and is closed. */
    public record Refusal(ErrorCode code, String message) {
    }

    /** Null when the HELLO is accepted, else why not. */
    public Refusal check(Message.Hello hello) {
        if (!hello.application().isEmpty() && !hello.application().equals(application)) {
            return new Refusal(ErrorCode.FORBIDDEN, "this process serves application '" + application
                    + "', not '" + hello.application() + "'");
        }
        if (hello.token().isEmpty()) {
            return dev ? null : new Refusal(ErrorCode.UNAUTHENTICATED, "a token is required");
        }
        if (secret == null || secret.length == 0) {
            return null; // dev mode without a secret: tokens cannot be checked
        }
        String claimed = DataPlaneToken.claimedApplication(hello.token()).orElse(application);
        if (!claimed.equals(application)) {
            // Signed with another application's secret, which this process cannot check: what it
            // claims is enough to refuse it, as the REST API does.
            return new Refusal(ErrorCode.FORBIDDEN, "the token is for application '" + claimed + "', not '"
                    + application + "'");
        }
        DataPlaneToken token;
        try {
            token = DataPlaneToken.verify(secret, hello.token(), clock.instant());
        } catch (InvalidTokenException e) {
            return new Refusal(ErrorCode.UNAUTHENTICATED, e.getMessage());
        }
        if (!token.allows(application, processId)) {
            return new Refusal(ErrorCode.FORBIDDEN, "the token is for application '" + token.application() + "'"
                    + (token.process().isEmpty() ? "" : " process '" + token.process() + "'")
                    + ", not process '" + processId + "' of '" + application + "'");
        }
        if (!hello.peerId().isEmpty() && !token.process().isEmpty()) {
            // A process token lets a client reach one process; a peer may send as any process it names.
            return new Refusal(ErrorCode.FORBIDDEN, "a HELLO as peer '" + hello.peerId() + "' needs an application "
                    + "token; this one is for process '" + token.process() + "' only");
        }
        return null;
    }
}
