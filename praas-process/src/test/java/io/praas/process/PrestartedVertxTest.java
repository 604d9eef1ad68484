package io.praas.process;

import io.praas.client.ProcessClient;
import io.praas.process.testapp.TestAppJar;
import io.praas.protocol.GoAwayReason;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Vert.x started ahead of the process (as a standby JVM does) is the one the next process in the
 * JVM takes, serves on and closes when it stops; one that no process took is closed by its owner.
 */
class PrestartedVertxTest {

    @AfterEach
    void nothingLeftBehind() {
        PraasProcess.closePrestartedVertx();
    }

    @Test
    void theNextProcessTakesThePrestartedVertxServesOnItAndClosesItWhenItStops() {
        Vertx prestarted = PraasProcess.prestartVertx();
        assertThat(PraasProcess.prestartVertx()).as("a second call before a process took it").isSameAs(prestarted);

        PraasProcess p = PraasProcess.start(ProcessConfig.defaults(TestAppJar.APPLICATION, "p-prestarted", TestAppJar.path()));
        try (ProcessClient c = ProcessClient.builder().address("127.0.0.1", p.port()).connect()) {
            assertThat(p.vertx()).isSameAs(prestarted);
            assertThat(new String(c.invoke("echo", "on the pre-started loop".getBytes(StandardCharsets.UTF_8)),
                    StandardCharsets.UTF_8)).isEqualTo("on the pre-started loop");
        } finally {
            p.stop(GoAwayReason.STOPPING);
        }
        assertThat(((VertxInternal) prestarted).closeFuture().isClosed()).isTrue();

        PraasProcess second = PraasProcess.start(ProcessConfig.defaults(TestAppJar.APPLICATION, "p-own", TestAppJar.path()));
        try {
            assertThat(second.vertx()).as("taken once: the next process starts its own").isNotSameAs(prestarted);
        } finally {
            second.stop(GoAwayReason.STOPPING);
        }
    }

    @Test
    void aPrestartedVertxThatNoProcessTookIsClosed() {
        Vertx prestarted = PraasProcess.prestartVertx();

        PraasProcess.closePrestartedVertx();

        assertThat(((VertxInternal) prestarted).closeFuture().isClosed()).isTrue();
        assertThat(PraasProcess.prestartVertx()).as("a new one after").isNotSameAs(prestarted);
    }
}
