package io.praas.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CliTest {
    private final Cli.DurationConverter durations = new Cli.DurationConverter();
    private final Cli.SizeConverter sizes = new Cli.SizeConverter();

    @ParameterizedTest
    @CsvSource({
            "250ms, PT0.25S",
            "30s, PT30S",
            "5m, PT5M",
            "2h, PT2H",
            "0s, PT0S",
            "5M, PT5M",
            "' 30s ', PT30S",
    })
    void aDurationWithAUnitSuffixConverts(String text, Duration expected) {
        assertThat(durations.convert(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
            "PT30S, PT30S",
            "pt1m30s, PT1M30S",
            "P1D, PT24H",
    })
    void anIso8601DurationConverts(String text, Duration expected) {
        assertThat(durations.convert(text)).isEqualTo(expected);
    }

    @Test
    void aDurationWithAnUnknownUnitIsRejectedWithAnExample() {
        assertThatThrownBy(() -> durations.convert("3d"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("30s");
    }

    @Test
    void aDurationWithoutAUnitIsRejected() {
        assertThatThrownBy(() -> durations.convert("30")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "1.5h", "ms", ""})
    void aDurationThatIsNotANumberAndUnitIsRejectedAsATypeConversion(String text) {
        assertThatThrownBy(() -> durations.convert(text)).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @ParameterizedTest
    @CsvSource({
            "1048576, 1048576",
            "512k, 524288",
            "256m, 268435456",
            "2g, 2147483648",
            "2G, 2147483648",
            "0, 0",
            "' 1k ', 1024",
    })
    void aSizeConvertsToBytesInPowersOf1024(String text, long expected) {
        assertThat(sizes.convert(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "1.5g", "k", "", "12t"})
    void aSizeThatIsNotANumberAndUnitIsRejected(String text) {
        assertThatThrownBy(() -> sizes.convert(text))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("256m");
    }

    @Test
    void aSizeThatOverflowsALongIsRejected() {
        assertThatThrownBy(() -> sizes.convert("9999999999999g")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @ParameterizedTest
    @CsvSource({
            "samples-0.1.0-SNAPSHOT.jar, samples",
            "shop.jar, shop",
            "shop-2.jar, shop",
            "shop-1.2.3.jar, shop",
            "my-app-1.0-SNAPSHOT.jar, my-app",
            "/opt/apps/billing-0.3.jar, billing",
    })
    void theApplicationIsTheJarsFileNameWithoutVersionAndExtension(String jar, String application) {
        assertThat(Cli.ProcessCommand.applicationFromJar(Path.of(jar).getFileName().toString())).isEqualTo(application);
    }

    @Test
    void durationFlagsOfTheProcessCommandUseTheConverter() {
        Cli.ProcessCommand command = new Cli.ProcessCommand();

        new CommandLine(command).parseArgs("--app-jar", "app.jar", "--default-timeout", "250ms", "--state-limit", "64m");

        assertThat(command.defaultTimeout).isEqualTo(Duration.ofMillis(250));
        assertThat(command.stateLimit).isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void theAdvertisedHostIsTheFlagElseTheBindHost() {
        assertThat(Cli.ProcessCommand.advertisedHost(" 10.0.3.7 ", "0.0.0.0")).isEqualTo("10.0.3.7");
        assertThat(Cli.ProcessCommand.advertisedHost(null, "127.0.0.1")).isEqualTo("127.0.0.1");
    }

    @Test
    void aWildcardBindHostAdvertisesAnAddressOfThisMachine() throws Exception {
        String advertised = Cli.ProcessCommand.advertisedHost(null, "0.0.0.0");
        assertThat(advertised).isNotEqualTo("0.0.0.0");
        assertThat(java.net.InetAddress.getByName(advertised).isAnyLocalAddress()).isFalse();
    }
}
