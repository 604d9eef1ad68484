package io.praas.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProcessConfigTest {
    private static final Path JAR = Path.of("app.jar");
    private static final byte[] SECRET = "s3cret".getBytes(StandardCharsets.UTF_8);

    /** Every setting valid, to vary one at a time. */
    private static final class Settings {
        String application = "shop";
        String processId = "p-1";
        String host = "127.0.0.1";
        int port = 8000;
        boolean dev = false;
        byte[] secret = SECRET;
        int workers = 4;
        int queueCapacity = 16;
        int maxFrameBytes = 1 << 20;
        Duration defaultTimeout = Duration.ofSeconds(30);
        Duration maxTimeout = Duration.ofMinutes(15);
        Duration sessionIdleTimeout = Duration.ofMinutes(30);
        int maxSessions = 100;
        long stateLimitBytes = 1 << 20;
        Duration drainTimeout = Duration.ofSeconds(10);
        int maxNestingDepth = 8;

        ProcessConfig build() {
            return new ProcessConfig(application, processId, JAR, host, port, dev, secret, workers, queueCapacity,
                    maxFrameBytes, defaultTimeout, maxTimeout, sessionIdleTimeout, maxSessions, stateLimitBytes,
                    drainTimeout, maxNestingDepth);
        }
    }

    private final Settings settings = new Settings();

    @Test
    void validSettingsBuildAConfig() {
        ProcessConfig config = settings.build();

        assertThat(config.application()).isEqualTo("shop");
        assertThat(config.processId()).isEqualTo("p-1");
        assertThat(config.secret()).isEqualTo(SECRET);
    }

    @Test
    void defaultsAreValidAndInDevMode() {
        ProcessConfig config = ProcessConfig.defaults("shop", "p-1", JAR);

        assertThat(config.dev()).isTrue();
        assertThat(config.port()).isZero();
        assertThat(config.secret()).isEmpty();
        assertThat(config.defaultTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxNestingDepth()).isEqualTo(8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "slash/name", "ünïcode", "semi;colon"})
    void anApplicationNameOutsideLettersDigitsDashUnderscoreDotIsRejected(String name) {
        settings.application = name;

        assertThatThrownBy(settings::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("application");
    }

    @Test
    void aNullApplicationIsRejected() {
        settings.application = null;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anApplicationNameOf63CharactersIsAccepted() {
        settings.application = "a".repeat(ProcessConfig.MAX_NAME_LENGTH);

        assertThat(settings.build().application()).hasSize(63);
    }

    @Test
    void anApplicationNameLongerThan63CharactersIsRejected() {
        settings.application = "a".repeat(ProcessConfig.MAX_NAME_LENGTH + 1);

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNameOfLettersDigitsDashUnderscoreAndDotIsAccepted() {
        settings.application = "Shop_v2.eu-west";

        assertThat(settings.build().application()).isEqualTo("Shop_v2.eu-west");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "p 1", "p/1", "p\n1"})
    void aBadProcessIdIsRejected(String id) {
        settings.processId = id;

        assertThatThrownBy(settings::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("process id");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 65536, 100_000})
    void aPortOutside0To65535IsRejected(int port) {
        settings.port = port;

        assertThatThrownBy(settings::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 65535})
    void aPortIn0To65535IsAccepted(int port) {
        settings.port = port;

        assertThat(settings.build().port()).isEqualTo(port);
    }

    @Test
    void outsideDevModeAMissingSecretIsRejected() {
        settings.secret = new byte[0];

        assertThatThrownBy(settings::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("secret");
    }

    @Test
    void outsideDevModeANullSecretIsRejected() {
        settings.secret = null;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void inDevModeASecretMayBeMissing() {
        settings.dev = true;
        settings.secret = null;

        assertThat(settings.build().secret()).isEmpty();
    }

    @Test
    void aDefaultTimeoutAboveTheMaximumIsRejected() {
        settings.defaultTimeout = Duration.ofMinutes(20);
        settings.maxTimeout = Duration.ofMinutes(15);

        assertThatThrownBy(settings::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
    }

    @Test
    void aDefaultTimeoutEqualToTheMaximumIsAccepted() {
        settings.defaultTimeout = Duration.ofMinutes(15);

        assertThat(settings.build().defaultTimeout()).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void aZeroDefaultTimeoutIsRejected() {
        settings.defaultTimeout = Duration.ZERO;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNegativeMaxTimeoutIsRejected() {
        settings.maxTimeout = Duration.ofSeconds(-1);

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMissingTimeoutIsRejected() {
        settings.defaultTimeout = null;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMaxTimeoutBeyondAU32OfMillisecondsIsRejected() {
        settings.maxTimeout = Duration.ofMillis(0x1_0000_0000L);

        assertThatThrownBy(settings::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("u32");
    }

    @Test
    void aMaxTimeoutOfTheLargestU32OfMillisecondsIsAccepted() {
        settings.maxTimeout = Duration.ofMillis(0xFFFF_FFFFL);

        assertThat(settings.build().maxTimeout().toMillis()).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    void aZeroSessionIdleTimeoutIsRejected() {
        settings.sessionIdleTimeout = Duration.ZERO;

        assertThatThrownBy(settings::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("idle");
    }

    @Test
    void aZeroDrainTimeoutIsAccepted() {
        settings.drainTimeout = Duration.ZERO;

        assertThat(settings.build().drainTimeout()).isZero();
    }

    @Test
    void aNegativeDrainTimeoutIsRejected() {
        settings.drainTimeout = Duration.ofSeconds(-1);

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void zeroWorkersAreRejected() {
        settings.workers = 0;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNegativeQueueCapacityIsRejected() {
        settings.queueCapacity = -1;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {1023, (1 << 30) + 1})
    void aMaxFrameSizeOutside1KiBTo1GiBIsRejected(int bytes) {
        settings.maxFrameBytes = bytes;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void zeroMaxSessionsAreRejected() {
        settings.maxSessions = 0;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aZeroStateLimitIsRejected() {
        settings.stateLimitBytes = 0;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aZeroMaxNestingDepthIsRejected() {
        settings.maxNestingDepth = 0;

        assertThatThrownBy(settings::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMissingAppJarIsRejected() {
        assertThatThrownBy(() -> new ProcessConfig("shop", "p-1", null, "127.0.0.1", 0, true, null, 1, 0, 1024,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1, Duration.ZERO, 1))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("appJar");
    }
}
