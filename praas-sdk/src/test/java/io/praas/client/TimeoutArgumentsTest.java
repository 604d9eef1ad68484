package io.praas.client;

import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.Message;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Timeouts the protocol cannot carry are refused before anything is sent. */
class TimeoutArgumentsTest {

    @Test
    void aPerCallTimeoutUnderOneMillisecondOrOverTheProtocolsIsInvalidAndNotSent() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> firstInvoked = CompletableFuture.supplyAsync(() -> firstInvoke(server));
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .application("app").connect()) {
                for (Duration bad : List.of(Duration.ofSeconds(-5), Duration.ZERO, Duration.ofNanos(500_000),
                        Duration.ofMillis(0x1_0000_0000L))) {
                    Throwable async = catchThrowable(() -> client.invokeAsync("bad", "", new byte[1], bad).get());
                    Throwable sync = catchThrowable(() -> client.invoke("bad", "", new byte[1], bad));

                    assertThat(async).as("%s", bad).hasCauseInstanceOf(PraasException.class);
                    assertThat(((PraasException) async.getCause()).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(((PraasException) async.getCause()).mayHaveRun()).isFalse();
                    assertThat(sync).as("%s", bad).isInstanceOf(PraasException.class);
                    assertThat(((PraasException) sync).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                }
                client.invokeAsync("good", "", new byte[1], Duration.ofSeconds(5));

                assertThat(firstInvoked.get(10, TimeUnit.SECONDS)).as("the first INVOKE the process read").isEqualTo("good");
            }
        }
    }

    @Test
    void aConnectTimeoutOutOfRangeIsRefusedByTheBuilder() {
        for (Duration bad : List.of(Duration.ofMillis(-1), Duration.ZERO, Duration.ofDays(30))) {
            assertThatThrownBy(() -> ProcessClient.builder().connectTimeout(bad))
                    .as("%s", bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout");
        }
    }

    /** Welcomes one client and returns the function of the first INVOKE it sends. */
    private static String firstInvoke(ServerSocket server) {
        try (Socket s = server.accept()) {
            DataInputStream in = RawProcessSide.welcome(s);
            while (true) {
                Frame f = io.praas.protocol.FrameCodec.decode(io.vertx.core.buffer.Buffer.buffer(RawProcessSide.readFrame(in)));
                if (f.message() instanceof Message.Invoke inv) {
                    return inv.function();
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
