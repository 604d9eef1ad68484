package io.praas.auth;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class HmacSha256Test {
    private static final HexFormat HEX = HexFormat.of();

    /** Test cases 1, 2, 3, 4, 6 and 7 of RFC 4231 (case 5 truncates the output). */
    @ParameterizedTest
    @CsvSource({
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b, 4869205468657265,"
                    + " b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "4a656665, 7768617420646f2079612077616e7420666f72206e6f7468696e673f,"
                    + " 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd,"
                    + " 773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            "0102030405060708090a0b0c0d0e0f10111213141516171819, cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd,"
                    + " 82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    })
    void matchesTheTestVectorsOfRfc4231(String key, String data, String mac) {
        assertThat(HEX.formatHex(HmacSha256.of(HEX.parseHex(key), HEX.parseHex(data)))).isEqualTo(mac);
    }

    @ParameterizedTest
    @CsvSource({
            "Test Using Larger Than Block-Size Key - Hash Key First,"
                    + " 60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.,"
                    + " 9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    })
    void aKeyLongerThanABlockIsHashedFirstAsInRfc4231(String data, String mac) {
        byte[] key = new byte[131];
        java.util.Arrays.fill(key, (byte) 0xaa);

        assertThat(HEX.formatHex(HmacSha256.of(key, data))).isEqualTo(mac);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 32, 63, 64, 65, 200})
    void givesTheSameBytesAsTheJdksMacForKeysOfEveryLength(int keyLength) throws Exception {
        Random random = new Random(keyLength);
        byte[] key = new byte[keyLength];
        random.nextBytes(key);
        byte[] data = new byte[1 + random.nextInt(500)];
        random.nextBytes(data);
        Mac jdk = Mac.getInstance("HmacSHA256");
        jdk.init(new SecretKeySpec(keyLength == 0 ? new byte[1] : key, "HmacSHA256"));
        // The JDK refuses an empty key; a one-byte zero key pads to the same block.
        byte[] expected = jdk.doFinal(data);

        assertThat(HmacSha256.of(key, data)).isEqualTo(expected);
        assertThat(HmacSha256.of(key, new String(data, StandardCharsets.ISO_8859_1)))
                .isEqualTo(HmacSha256.of(key, new String(data, StandardCharsets.ISO_8859_1).getBytes(StandardCharsets.UTF_8)));
    }
}
