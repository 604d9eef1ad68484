package io.praas.image;

import io.praas.client.Health;
import io.praas.client.Praas;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control-plane image starts a node ({@code praas up}) that serves its REST API, run with host
 * networking as docs/IMAGE.md shows.
 */
class ControlPlaneImageTest {

    @Test
    void theControlPlaneImageStartsANodeThatServesItsApi() throws IOException {
        DockerImages.require(DockerImages.CONTROL_PLANE);
        int apiPort = freePort();
        int hazelcastPort = 17000 + 1000 + (apiPort % 900);
        try (GenericContainer<?> node = new GenericContainer<>(DockerImageName.parse(DockerImages.CONTROL_PLANE))
                .withNetworkMode("host")
                .withCommand("up", "--port", Integer.toString(apiPort), "--hazelcast-port", Integer.toString(hazelcastPort),
                        "--cluster-name", "image-cp-" + apiPort)
                .withEnv("PRAAS_ADMIN_KEY", "image-test-key")
                .withLogConsumer(new Slf4jLogConsumer(LoggerFactory.getLogger("container.control-plane")))
                .waitingFor(Wait.forLogMessage(".*serving the API at.*", 1).withStartupTimeout(Duration.ofSeconds(90)))) {
            node.start();

            try (Praas praas = Praas.builder().url("http://127.0.0.1:" + apiPort).adminKey("image-test-key").build()) {
                Health health = praas.health();
                assertThat(health.status()).isEqualTo("UP");
                assertThat(praas.listApplications()).isEmpty();
            }
            assertThat(node.getLogs()).contains("control plane node", "is up");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
