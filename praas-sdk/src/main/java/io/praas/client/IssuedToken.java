package io.praas.client;

import java.time.Instant;

/**
 * A data-plane token issued by the control plane, for an application or one of its processes.
 *
 * <pre>{@code
 * IssuedToken t = praas.issueToken("shop", "p-1", Duration.ofHours(1));
 * ProcessClient c = ProcessClient.builder().address(host, port).application("shop").token(t.token()).connect();
 * }</pre>
 *
 * @param token     the token ({@code praas1.…})
 * @param expiresAt when it stops being valid
 */
public record IssuedToken(String token, Instant expiresAt) {
    @Override
    public String toString() {
        return "IssuedToken[expiresAt=" + expiresAt + "]"; // keeps the token out of logs
    }
}
