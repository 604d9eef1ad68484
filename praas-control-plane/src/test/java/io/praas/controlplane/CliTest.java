package io.praas.controlplane;

import io.praas.controlplane.cli.ErrorReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The client commands of the CLI (`praas app|process ...`) against a real node, run as `main` runs them. */
class CliTest {
    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Api api;

    @BeforeAll
    static void start() {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config());
        api = Api.admin(cp);
    }

    @AfterAll
    static void stop() {
        if (cp != null) {
            cp.close();
        }
    }

    /** Exit code and everything the command printed. */
    record Run(int code, String out, String err) {
    }

    private static Run praas(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", cp.apiUrl(), "--admin-key", ControlPlanes.ADMIN_KEY));
        int code = new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(new ErrorReport())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void appCreateTakesItsLimitsAndUploadsTheJar() {
        Run r = praas("app", "create", "cli-app", "--jar", ControlPlanes.samplesJar().toString(), "--max-processes", "2",
                "--idle-seconds", "0");

        assertThat(r.code()).as("%s", r).isZero();
        assertThat(r.out()).contains("application cli-app created", "at most 2 processes", "code uploaded");
        assertThat(api.get("/v1/applications/cli-app").json().path("limits").path("maxProcesses").asInt()).isEqualTo(2);
        api.delete("/v1/applications/cli-app");
    }

    @Test
    void zeroWhereTheApiTakesOnlyPositiveNumbersIsAnErrorNotTheDefault() {
        for (String[] bad : List.of(new String[] {"--max-processes", "0"}, new String[] {"--vcpu", "0"},
                new String[] {"--memory-mib", "0"}, new String[] {"--idle-seconds", "-1"})) {
            Run r = praas("app", "create", "cli-zero", "--jar", ControlPlanes.samplesJar().toString(), bad[0], bad[1]);

            assertThat(r.code()).as("%s %s", String.join(" ", bad), r).isNotZero();
            assertThat(r.err()).contains(bad[0] + " must be");
            assertThat(api.get("/v1/applications/cli-zero").status()).isEqualTo(404);
        }
    }

    @Test
    void processCreateRefusesZeroResources() {
        ControlPlanes.deploy(api, "cli-proc", Map.of());
        try {
            Run r = praas("process", "create", "cli-proc", "--vcpu", "0");

            assertThat(r.code()).as("%s", r).isNotZero();
            assertThat(r.err()).contains("--vcpu must be over 0");
            assertThat(api.get("/v1/applications/cli-proc/processes").json()).isEmpty();
        } finally {
            api.delete("/v1/applications/cli-proc");
        }
    }
}
