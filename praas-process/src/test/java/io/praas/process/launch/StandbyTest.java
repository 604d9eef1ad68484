package io.praas.process.launch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A standby's launch as the local backend writes it, and what a standby does with a stdin that
 * closes or holds something else. (A standby that is given a process: LocalBackendStandbyTest of
 * the control plane, with real JVMs.)
 */
class StandbyTest {
    @TempDir
    Path dir;

    @Test
    void aLaunchReadsBackAsWritten() throws IOException {
        Standby.Launch launch = new Standby.Launch(List.of("--app-jar", "/tmp/app é.jar"),
                Map.of("PRAAS_PROCESS_ID", "p-1", "PRAAS_APP_SECRET", "s3cr=t\nwith a line"), dir.resolve("p-1.log"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        launch.writeTo(out);

        assertThat(Standby.Launch.readFrom(new ByteArrayInputStream(out.toByteArray()))).isEqualTo(launch);
        Standby.Launch noLog = new Standby.Launch(List.of(), Map.of(), null);
        out.reset();
        noLog.writeTo(out);
        assertThat(Standby.Launch.readFrom(new ByteArrayInputStream(out.toByteArray()))).isEqualTo(noLog);
    }

    @Test
    void anEmptyStdinIsNoLaunchAndSomethingElseIsRefused() throws IOException {
        assertThat(Standby.Launch.readFrom(new ByteArrayInputStream(new byte[0]))).isNull();
        ByteArrayOutputStream other = new ByteArrayOutputStream();
        new DataOutputStream(other).writeUTF("GET / HTTP/1.1");
        assertThatThrownBy(() -> Standby.Launch.readFrom(new ByteArrayInputStream(other.toByteArray())))
                .isInstanceOf(IOException.class).hasMessageContaining("not a launch");
        byte[] cut = java.util.Arrays.copyOf(validLaunch(), 20);
        assertThatThrownBy(() -> Standby.Launch.readFrom(new ByteArrayInputStream(cut)))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aStandbyWarmsUpSaysSoAndEndsWhenItsStdinClosesWithoutALaunch() throws IOException {
        Path ready = dir.resolve("standby.ready");
        // What serve starts for its process after the warm-up (it takes one started before).
        io.vertx.core.Vertx forTheProcess = io.praas.process.PraasProcess.prestartVertx();

        int code = Standby.serve(List.of("--ready-file", ready.toString()), Map.of(), new ByteArrayInputStream(new byte[0]));

        assertThat(code).isZero();
        assertThat(((io.vertx.core.internal.VertxInternal) forTheProcess).closeFuture().isClosed())
                .as("no process took the Vert.x started for it: closed").isTrue();
        assertThat(Files.readString(ready)).isEqualTo(Long.toString(ProcessHandle.current().pid()));
    }

    @Test
    void theLaunchsSettingsBecomeTheEnvironmentThatJavaCodeReads() throws Exception {
        String name = "PRAAS_STANDBY_TEST_" + ProcessHandle.current().pid();
        assertThat(System.getenv(name)).isNull();
        try {
            assertThat(Standby.setEnvironment(Map.of(name, "from the launch"))).isTrue();

            assertThat(System.getenv(name)).isEqualTo("from the launch");
            assertThat(System.getenv()).containsEntry(name, "from the launch");
            // A child gets it through ProcessBuilder.environment() (a copy of that map); one started
            // without it inherits the JVM's native environment, which Java cannot change.
            ProcessBuilder pb = new ProcessBuilder("sh", "-c", "printf %s \"$" + name + "\"");
            assertThat(pb.environment()).containsEntry(name, "from the launch");
            Process child = pb.start();
            assertThat(new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo("from the launch");
            assertThat(child.waitFor()).isZero();
        } finally {
            Standby.removeFromEnvironment(name);
        }
        assertThat(System.getenv(name)).isNull();
    }

    @Test
    void theWarmUpRegistersAProcessSwapsItOutAndInAndRunsTheStoreRequests() {
        assertThat(Standby.warmUp()).isTrue();
    }

    @Test
    void aBadLaunchOrOptionIsAUsageError() {
        assertThat(Standby.serve(List.of("--ready-file", dir.resolve("r").toString()), Map.of(),
                new ByteArrayInputStream(new byte[] {0, 3, 'a', 'b', 'c'}))).isEqualTo(2);
        assertThat(Standby.serve(List.of("--bogus"), Map.of(), new ByteArrayInputStream(new byte[0]))).isEqualTo(2);
    }

    private static byte[] validLaunch() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Standby.Launch(List.of("--dev"), Map.of("PRAAS_PROCESS_ID", "p-1"), null).writeTo(out);
        return out.toByteArray();
    }
}
