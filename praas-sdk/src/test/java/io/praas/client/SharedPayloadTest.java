package io.praas.client;

import io.praas.protocol.ErrorCode;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A blocking invoke sends its input without a copy; a caller whose invoke ended (here: timed out
 * while the process did not read, its frame still queued behind a large one) may change its array
 * at once, and the process must still get what the caller sent.
 */
class SharedPayloadTest {
    private static final int INPUT_BYTES = 32 * 1024 * 1024; // more than loopback's socket buffers hold

    @Test
    void aTimedOutCallersArrayCanBeChangedWithoutChangingWhatIsSent() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> serveOneInvokeLate(server));
            byte[] input = new byte[INPUT_BYTES];
            Arrays.fill(input, (byte) 'a');
            try (ProcessClient client = ProcessClient.builder().address("127.0.0.1", server.getLocalPort())
                    .application("app").timeout(Duration.ofMillis(100)).connect()) {
                // A large request ahead leaves the connection unwritable: the next frame waits in the
                // client's outbound queue, still referring to the caller's array.
                client.invokeAsync("g", new byte[INPUT_BYTES]);
                Throwable thrown = catchThrowable(() -> client.invoke("f", input));
                assertThat(thrown).isInstanceOf(PraasException.class);
                assertThat(((PraasException) thrown).code()).isEqualTo(ErrorCode.TIMEOUT);
                Arrays.fill(input, (byte) 'b'); // the caller moved on and reuses its array

                Message.Invoke got = (Message.Invoke) FrameCodec.decode(Buffer.buffer(received.get(60, TimeUnit.SECONDS)))
                        .message();
                assertThat(got.input()).hasSize(INPUT_BYTES);
                int changed = 0;
                for (byte b : got.input()) {
                    changed += b == 'a' ? 0 : 1;
                }
                assertThat(changed).as("bytes the process got changed after the caller's invoke ended").isZero();
            }
        }
    }

    /** WELCOMEs one client, reads nothing for 4 s (past the client's timeout and grace), then returns its second frame. */
    private static byte[] serveOneInvokeLate(ServerSocket server) {
        try (Socket s = server.accept()) {
            DataInputStream in = RawProcessSide.welcome(s);
            Thread.sleep(4_000);
            RawProcessSide.readFrame(in);
            return RawProcessSide.readFrame(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
