package io.praas.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Data-plane tokens: {@code praas1.<b64url(app)>.<b64url(process)>.<expiry>.<b64url(HMAC-SHA256)>}.
 */
class DataPlaneTokenTest {

    private static final byte[] SECRET = "shop-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_SECRET = "someone-else's-secret-xyz".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
    private static final Instant IN_AN_HOUR = NOW.plusSeconds(3600);

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Signs any first-four-parts string as the token format prescribes, so claims can be malformed yet signed. */
    private static String signed(byte[] secret, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] sig = mac.doFinal(body.getBytes(StandardCharsets.UTF_8));
            return body + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String[] parts(String token) {
        return token.split("\\.", -1);
    }

    private static String join(String... parts) {
        return String.join(".", parts);
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void issueThenVerifyReturnsTheClaims() {
        String token = DataPlaneToken.issue(SECRET, "shop", "proc-1", IN_AN_HOUR);

        DataPlaneToken claims = DataPlaneToken.verify(SECRET, token, NOW);

        assertThat(claims).isEqualTo(new DataPlaneToken("shop", "proc-1", IN_AN_HOUR));
    }

    @Test
    void issueThenVerifyReturnsAnApplicationWideToken() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR);

        assertThat(DataPlaneToken.verify(SECRET, token, NOW)).isEqualTo(new DataPlaneToken("shop", "", IN_AN_HOUR));
    }

    @Test
    void claimsWithDotsAndNonAsciiCharactersRoundTrip() {
        String token = DataPlaneToken.issue(SECRET, "boutique.été", "进程.7", IN_AN_HOUR);

        DataPlaneToken claims = DataPlaneToken.verify(SECRET, token, NOW);

        assertThat(claims.application()).isEqualTo("boutique.été");
        assertThat(claims.process()).isEqualTo("进程.7");
    }

    @Test
    void expiryIsKeptToTheSecond() {
        Instant withNanos = IN_AN_HOUR.plusMillis(999);

        DataPlaneToken claims = DataPlaneToken.verify(SECRET, DataPlaneToken.issue(SECRET, "shop", "", withNanos), NOW);

        assertThat(claims.expiresAt()).isEqualTo(IN_AN_HOUR);
    }

    @Test
    void tokenHasTheDocumentedFormat() {
        String token = DataPlaneToken.issue(SECRET, "shop", "proc-1", IN_AN_HOUR);

        assertThat(parts(token)).hasSize(5);
        assertThat(parts(token)[0]).isEqualTo("praas1");
        assertThat(parts(token)[1]).isEqualTo(b64("shop"));
        assertThat(parts(token)[2]).isEqualTo(b64("proc-1"));
        assertThat(parts(token)[3]).isEqualTo(Long.toString(IN_AN_HOUR.getEpochSecond()));
        assertThat(token).isEqualTo(signed(SECRET, join("praas1", b64("shop"), b64("proc-1"),
                Long.toString(IN_AN_HOUR.getEpochSecond()))));
    }

    @Test
    void applicationWideTokenAllowsAnyProcessOfItsApplication() {
        DataPlaneToken claims = DataPlaneToken.verify(SECRET, DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR), NOW);

        assertThat(claims.allows("shop", "proc-1")).isTrue();
        assertThat(claims.allows("shop", "proc-2")).isTrue();
    }

    @Test
    void processScopedTokenAllowsItsProcess() {
        DataPlaneToken claims = new DataPlaneToken("shop", "proc-1", IN_AN_HOUR);

        assertThat(claims.allows("shop", "proc-1")).isTrue();
    }

    @Test
    void processScopedTokenRefusesAnotherProcess() {
        DataPlaneToken claims = DataPlaneToken.verify(SECRET, DataPlaneToken.issue(SECRET, "shop", "proc-1", IN_AN_HOUR), NOW);

        assertThat(claims.allows("shop", "proc-2")).isFalse();
        assertThat(claims.allows("shop", "")).isFalse();
    }

    @Test
    void tokenRefusesAnotherApplication() {
        assertThat(new DataPlaneToken("shop", "", IN_AN_HOUR).allows("billing", "proc-1")).isFalse();
        assertThat(new DataPlaneToken("shop", "proc-1", IN_AN_HOUR).allows("billing", "proc-1")).isFalse();
    }

    @Test
    void tamperedSignatureIsRejected() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR);
        String[] p = parts(token);
        char first = p[4].charAt(0);
        p[4] = (first == 'A' ? 'B' : 'A') + p[4].substring(1);

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, join(p), NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void truncatedSignatureIsRejected() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR);

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token.substring(0, token.length() - 4), NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void emptySignatureIsRejected() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR);

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token.substring(0, token.lastIndexOf('.') + 1), NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void tamperedApplicationIsRejected() {
        String[] p = parts(DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR));
        p[1] = b64("billing");

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, join(p), NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void tamperedProcessIsRejected() {
        String[] p = parts(DataPlaneToken.issue(SECRET, "shop", "proc-1", IN_AN_HOUR));
        p[2] = b64("");

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, join(p), NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void extendedExpiryIsRejected() {
        String[] p = parts(DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR));
        p[3] = Long.toString(IN_AN_HOUR.plusSeconds(86_400 * 365).getEpochSecond());

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, join(p), NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void tokenSignedWithAnotherSecretIsRejected() {
        String token = DataPlaneToken.issue(OTHER_SECRET, "shop", "", IN_AN_HOUR);

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token, NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void expiredTokenIsRejected() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", NOW.minusSeconds(1));

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token, NOW))
                .isInstanceOf(InvalidTokenException.class)
                .hasMessageContaining("expired");
    }

    @Test
    void tokenIsExpiredAtItsExpiryInstant() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", NOW);

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token, NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void tokenIsValidUntilJustBeforeItsExpiry() {
        String token = DataPlaneToken.issue(SECRET, "shop", "", NOW);

        assertThat(DataPlaneToken.verify(SECRET, token, NOW.minusMillis(1)).expiresAt()).isEqualTo(NOW);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "praas1",
            "praas1.c2hvcA.AA.1893499200",
            "praas1.c2hvcA..1893499200.sig.extra",
            "not a token at all"})
    void tokenWithTheWrongNumberOfPartsIsRejected(String token) {
        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token, NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void tokenWithAnotherPrefixIsRejected() {
        String[] p = parts(DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR));
        String praas2 = signed(SECRET, join("praas2", p[1], p[2], p[3]));

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, praas2, NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void signatureThatIsNotBase64IsRejected() {
        String[] p = parts(DataPlaneToken.issue(SECRET, "shop", "", IN_AN_HOUR));
        p[4] = "!!not*base64!!";

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, join(p), NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void signedClaimsThatAreNotBase64AreRejected() {
        String token = signed(SECRET, join("praas1", "sh*p!", b64(""), Long.toString(IN_AN_HOUR.getEpochSecond())));

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token, NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void signedProcessThatIsNotBase64IsRejected() {
        String token = signed(SECRET, join("praas1", b64("shop"), "%%%", Long.toString(IN_AN_HOUR.getEpochSecond())));

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token, NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void signedExpiryThatIsNotANumberIsRejected() {
        String token = signed(SECRET, join("praas1", b64("shop"), b64(""), "tomorrow"));

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token, NOW))
                .isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void signedExpiryBeyondTheRangeOfInstantIsRejectedAsInvalid() {
        String token = signed(SECRET, join("praas1", b64("shop"), b64(""), Long.toString(Long.MAX_VALUE)));

        assertThatThrownBy(() -> DataPlaneToken.verify(SECRET, token, NOW))
                .isInstanceOf(InvalidTokenException.class);
    }
}
