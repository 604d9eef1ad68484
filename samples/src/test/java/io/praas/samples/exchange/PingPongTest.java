package io.praas.samples.exchange;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The raw TCP way of {@link PingPong} (it needs no Context): both sides in this JVM. */
class PingPongTest {

    @Test
    void tcpPingPongEchoesEveryRoundAndTimesTheMeasuredOnes() throws Exception {
        int port = freePort();
        PingPong.Request pong = new PingPong.Request("pong", "p-0", 100 * 1024, 3, 20, "tcp", "t", "", port);
        PingPong.Request ping = new PingPong.Request("ping", "p-1", 100 * 1024, 3, 20, "tcp", "t", "", port);

        CompletableFuture<PingPong.Result> ponger = CompletableFuture.supplyAsync(() -> run(pong));
        PingPong.Result pinged = run(ping);

        assertThat(pinged.nanos()).hasSize(20);
        assertThat(java.util.Arrays.stream(pinged.nanos()).min().orElseThrow()).isPositive();
        assertThat(ponger.get(30, TimeUnit.SECONDS).nanos()).isEmpty();
    }

    @Test
    void tcpNeedsAPort() {
        PingPong.Request noPort = new PingPong.Request("ping", "p-1", 10, 0, 1, "tcp", "t", "", 0);

        assertThatThrownBy(() -> new PingPong().handle(noPort, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tcpPort");
    }

    private static PingPong.Result run(PingPong.Request r) {
        try {
            return new PingPong().handle(r, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
