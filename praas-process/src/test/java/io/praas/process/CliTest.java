package io.praas.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CliTest {
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
        assertThat(Cli.duration(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
            "PT30S, PT30S",
            "pt1m30s, PT1M30S",
            "P1D, PT24H",
    })
    void anIso8601DurationConverts(String text, Duration expected) {
        assertThat(Cli.duration(text)).isEqualTo(expected);
    }

    @Test
    void aDurationWithAnUnknownUnitIsRejectedWithAnExample() {
        assertThatThrownBy(() -> Cli.duration("3d"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("30s");
    }

    @Test
    void aDurationWithoutAUnitIsRejected() {
        assertThatThrownBy(() -> Cli.duration("30")).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "1.5h", "ms", ""})
    void aDurationThatIsNotANumberAndUnitIsRejectedAsATypeConversion(String text) {
        assertThatThrownBy(() -> Cli.duration(text)).isInstanceOf(IllegalArgumentException.class);
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
        assertThat(Cli.size(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "1.5g", "k", "", "12t"})
    void aSizeThatIsNotANumberAndUnitIsRejected(String text) {
        assertThatThrownBy(() -> Cli.size(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256m");
    }

    @Test
    void aSizeThatOverflowsALongIsRejected() {
        assertThatThrownBy(() -> Cli.size("9999999999999g")).isInstanceOf(IllegalArgumentException.class);
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
    void durationFlagsOfTheProcessCommandUseTheConverter() throws Exception {
        Cli.ProcessCommand command = parse(Map.of(), "--app-jar", "app.jar", "--default-timeout", "250ms",
                "--state-limit=64m");

        assertThat(command.appJar).isEqualTo("app.jar");
        assertThat(command.defaultTimeout).isEqualTo(Duration.ofMillis(250));
        assertThat(command.stateLimit).isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void anOptionNotGivenComesFromItsVariableElseItsDefault() throws Exception {
        Cli.ProcessCommand command = parse(Map.of("PRAAS_PORT", "9100", "PRAAS_HOST", " ", "PRAAS_DEV", "true"));

        assertThat(command.port).isEqualTo(9100);
        assertThat(command.host).isEqualTo("127.0.0.1"); // a blank variable counts as unset
        assertThat(command.dev).isTrue();
        assertThat(command.maxTimeout).isEqualTo(Duration.ofMinutes(15));
        assertThat(command.swapPartSize).isEqualTo(8L * 1024 * 1024);
        assertThat(command.workers).isZero(); // 0: as many as processors
        assertThat(command.restore).isNull();
    }

    @Test
    void aFlagWinsOverItsVariable() throws Exception {
        Cli.ProcessCommand command = parse(Map.of("PRAAS_PORT", "9100", "PRAAS_DEV", "true"), "--port", "0",
                "--dev=false");

        assertThat(command.port).isZero();
        assertThat(command.dev).isFalse();
    }

    @Test
    void aSwitchTakesNoValue() throws Exception {
        Cli.ProcessCommand command = parse(Map.of(), "--dev", "--port", "7");

        assertThat(command.dev).isTrue();
        assertThat(command.port).isEqualTo(7);
    }

    @Test
    void argumentsComeFromAnArgumentFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("process.args");
        java.nio.file.Files.writeString(file, "# a comment\n--port 7100\n--application 'my shop'\n--dev\n");

        Cli.ProcessCommand command = parse(Map.of(), "@" + file, "--process-id", "p-1");

        assertThat(command.port).isEqualTo(7100);
        assertThat(command.application).isEqualTo("my shop");
        assertThat(command.dev).isTrue();
        assertThat(command.processId).isEqualTo("p-1");
    }

    @Test
    void wrongUsageExitsWith2AndSaysWhatIsWrong() {
        assertThat(runCli("process", "--prot", "1")).startsWith("2 ").contains("unknown option '--prot'")
                .contains("praas process --help");
        assertThat(runCli("process", "--port")).startsWith("2 ").contains("option '--port' needs a value");
        assertThat(runCli("process", "--app-jar", "--port", "1")).startsWith("2 ")
                .contains("option '--app-jar' needs a value");
        assertThat(runCli("process", "--port", "eighty")).startsWith("2 ")
                .contains("invalid value for option '--port': 'eighty' is not a whole number");
        assertThat(runCli("process", "--drain-timeout", "3d")).startsWith("2 ").contains("30s");
        assertThat(runCli("process", "@/no/such/file")).startsWith("2 ").contains("cannot read the argument file");
        assertThat(runCli("token")).startsWith("2 ").contains("option '--application' is required");
        assertThat(runCli("launch")).startsWith("2 ").contains("unknown command 'launch'");
    }

    @Test
    void aProcessWithoutAJarExitsWith2() {
        assertThat(runCli("process", "--port", "0")).startsWith("2 ").contains("--app-jar");
    }

    @Test
    void helpListsEveryOptionWithItsVariableAndDefault() {
        String help = runCli("process", "--help");

        assertThat(help).startsWith("0 ").contains("Usage: praas process [OPTIONS]");
        for (Cli.ProcessOption o : Cli.ProcessOption.values()) {
            assertThat(help).contains(o.flag());
            if (o.env() != null) {
                assertThat(help).contains("env " + o.env());
            }
        }
        assertThat(help).contains("default 16777216").contains("default 30s");
    }

    @Test
    void tokenPrintsATokenThatVerifiesWithTheSecret(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret");
        java.nio.file.Files.writeString(secret, "s3cret\n");

        String out = runCli("token", "--application", "shop", "--secret-file", secret.toString(), "--ttl", "5m");

        assertThat(out).startsWith("0 ");
        io.praas.auth.DataPlaneToken t = io.praas.auth.DataPlaneToken.verify("s3cret".getBytes(), out.substring(2).strip(),
                java.time.Instant.now());
        assertThat(t.application()).isEqualTo("shop");
    }

    @Test
    void theVersionIsTheRuntimes() {
        assertThat(runCli("--version")).isEqualTo("0 " + PraasProcess.VERSION + "\n");
        assertThat(runCli("process", "-V")).isEqualTo("0 " + PraasProcess.VERSION + "\n");
    }

    @Test
    void withoutACommandItListsTheCommands() {
        assertThat(runCli()).startsWith("0 ").contains("process").contains("token");
    }

    private static Cli.ProcessCommand parse(Map<String, String> env, String... args) throws Exception {
        Cli.ProcessCommand command = new Cli.ProcessCommand(env);
        Arguments.parse(command, Cli.ProcessOption.values(), Arguments.expandFiles(List.of(args)), env);
        return command;
    }

    /** The exit code, a space, then what the command printed (out, then err). */
    private static String runCli(String... args) {
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int code = Cli.run(List.of(args), Map.of(), new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
        return code + " " + out + err;
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
