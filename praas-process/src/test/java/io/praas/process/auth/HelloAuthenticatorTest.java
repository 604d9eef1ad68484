package io.praas.process.auth;

import io.praas.auth.DataPlaneToken;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Message;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HelloAuthenticatorTest {
    private static final byte[] SECRET = "shop-secret".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private final HelloAuthenticator authenticator = new HelloAuthenticator("shop", "p-1", SECRET, false, CLOCK);

    @Test
    void devModeAcceptsAnEmptyToken() {
        HelloAuthenticator dev = new HelloAuthenticator("shop", "p-1", new byte[0], true, CLOCK);

        assertThat(dev.check(hello("shop", ""))).isNull();
    }

    @Test
    void devModeWithASecretAcceptsAnEmptyToken() {
        HelloAuthenticator dev = new HelloAuthenticator("shop", "p-1", SECRET, true, CLOCK);

        assertThat(dev.check(hello("shop", ""))).isNull();
    }

    @Test
    void devModeWithASecretStillRefusesAForgedToken() {
        HelloAuthenticator dev = new HelloAuthenticator("shop", "p-1", SECRET, true, CLOCK);
        String forged = DataPlaneToken.issue(bytes("guess"), "shop", "", NOW.plusSeconds(60));

        assertThat(dev.check(hello("shop", forged)).code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void outsideDevModeAnEmptyTokenIsUnauthenticated() {
        HelloAuthenticator.Refusal refusal = authenticator.check(hello("shop", ""));

        assertThat(refusal.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void aValidTokenForTheApplicationIsAccepted() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", NOW.plusSeconds(60));

        assertThat(authenticator.check(hello("shop", token))).isNull();
    }

    @Test
    void aValidTokenForThisProcessIsAccepted() {
        String token = DataPlaneToken.issue(SECRET, "shop", "p-1", NOW.plusSeconds(60));

        assertThat(authenticator.check(hello("shop", token))).isNull();
    }

    @Test
    void aPeerWithAnApplicationTokenIsAccepted() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", NOW.plusSeconds(60));

        assertThat(authenticator.check(new Message.Hello("shop", token, "p-2", "test"))).isNull();
    }

    @Test
    void aPeerWithATokenForThisProcessOnlyIsForbidden() {
        String token = DataPlaneToken.issue(SECRET, "shop", "p-1", NOW.plusSeconds(60));

        HelloAuthenticator.Refusal refusal = authenticator.check(new Message.Hello("shop", token, "p-2", "test"));

        assertThat(refusal.code()).isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(refusal.message()).contains("peer 'p-2'").contains("application token");
    }

    @Test
    void aHelloWithAnEmptyApplicationIsCheckedByItsToken() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", NOW.plusSeconds(60));

        assertThat(authenticator.check(hello("", token))).isNull();
    }

    @Test
    void aTokenSignedWithAnotherSecretIsUnauthenticated() {
        String forged = DataPlaneToken.issue(bytes("guess"), "shop", "", NOW.plusSeconds(60));

        assertThat(authenticator.check(hello("shop", forged)).code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void aTokenWithAlteredClaimsIsUnauthenticated() {
        String token = DataPlaneToken.issue(SECRET, "shop", "p-2", NOW.plusSeconds(60));
        String[] parts = token.split("\\.");
        String anyProcess = String.join(".", parts[0], parts[1], "", parts[3], parts[4]);

        assertThat(authenticator.check(hello("shop", anyProcess)).code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void aMalformedTokenIsUnauthenticated() {
        assertThat(authenticator.check(hello("shop", "not-a-token")).code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void anExpiredTokenIsUnauthenticated() {
        String expired = DataPlaneToken.issue(SECRET, "shop", "", NOW.minusSeconds(1));

        HelloAuthenticator.Refusal refusal = authenticator.check(hello("shop", expired));

        assertThat(refusal.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(refusal.message()).contains("expired");
    }

    @Test
    void aTokenExpiringThisInstantIsUnauthenticated() {
        String expiring = DataPlaneToken.issue(SECRET, "shop", "", NOW);

        assertThat(authenticator.check(hello("shop", expiring)).code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void aTokenForAnotherApplicationIsForbidden() {
        String token = DataPlaneToken.issue(SECRET, "billing", "", NOW.plusSeconds(60));

        assertThat(authenticator.check(hello("shop", token)).code()).isEqualTo(ErrorCode.FORBIDDEN);
    }

    @Test
    void aTokenOfAnotherApplicationSignedWithThatApplicationsSecretIsForbidden() {
        // Each application has its own secret: what the token claims decides, as in the REST API.
        String token = DataPlaneToken.issue(bytes("billing's own secret"), "billing", "", NOW.plusSeconds(60));

        HelloAuthenticator.Refusal refusal = authenticator.check(hello("", token));

        assertThat(refusal.code()).isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(refusal.message()).contains("billing");
    }

    @Test
    void aTokenForAnotherProcessIsForbidden() {
        String token = DataPlaneToken.issue(SECRET, "shop", "p-2", NOW.plusSeconds(60));

        HelloAuthenticator.Refusal refusal = authenticator.check(hello("shop", token));

        assertThat(refusal.code()).isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(refusal.message()).contains("p-2", "p-1");
    }

    @Test
    void aHelloNamingAnotherApplicationIsForbidden() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", NOW.plusSeconds(60));

        HelloAuthenticator.Refusal refusal = authenticator.check(hello("billing", token));

        assertThat(refusal.code()).isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(refusal.message()).contains("billing", "shop");
    }

    @Test
    void aHelloNamingAnotherApplicationIsForbiddenInDevModeToo() {
        HelloAuthenticator dev = new HelloAuthenticator("shop", "p-1", new byte[0], true, CLOCK);

        assertThat(dev.check(hello("billing", "")).code()).isEqualTo(ErrorCode.FORBIDDEN);
    }

    @Test
    void outsideDevModeASecretIsRequired() {
        assertThatThrownBy(() -> new HelloAuthenticator("shop", "p-1", null, false, CLOCK))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HelloAuthenticator("shop", "p-1", new byte[0], false, CLOCK))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theTokenIsCheckedAgainstTheClock() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", NOW.plusSeconds(60));
        HelloAuthenticator later = new HelloAuthenticator("shop", "p-1", SECRET, false,
                Clock.fixed(NOW.plus(Duration.ofMinutes(2)), ZoneOffset.UTC));

        assertThat(later.check(hello("shop", token)).code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    /** A client's HELLO (no peerId). */
    private static Message.Hello hello(String application, String token) {
        return new Message.Hello(application, token, "", "test");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
