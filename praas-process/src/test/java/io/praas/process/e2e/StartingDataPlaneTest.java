package io.praas.process.e2e;

import io.praas.codec.KryoCodec;
import io.praas.process.auth.HelloAuthenticator;
import io.praas.process.dataplane.DataPlane;
import io.praas.process.function.FunctionRegistry;
import io.praas.process.invocation.Invoker;
import io.praas.process.messaging.Mailbox;
import io.praas.process.session.SessionRegistry;
import io.praas.process.state.KeyValueStore;
import io.praas.process.state.StateBudget;
import io.praas.process.testapp.TestAppJar;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process listens while it still restores its state (PraasProcess starts listening before the
 * restore): until it is ready, HELLO gets ERROR 15 and the connection closes; then it serves.
 */
class StartingDataPlaneTest {
    @Test
    void aDataPlaneRefusesUntilReadyThenServes() throws Exception {
        Vertx vertx = Vertx.vertx();
        FunctionRegistry functions = FunctionRegistry.load(TestAppJar.path());
        KryoCodec kryo = new KryoCodec(functions.classLoader());
        StateBudget budget = new StateBudget(64L << 20);
        Invoker invoker = new Invoker(functions, "p-starting", TestAppJar.APPLICATION, new KeyValueStore(budget, kryo),
                1, 16, 4);
        try {
            DataPlane plane = new DataPlane("p-starting", "test", FrameCodec.DEFAULT_MAX_FRAME_BYTES, 30_000, 60_000,
                    new HelloAuthenticator(TestAppJar.APPLICATION, "p-starting", null, true, Clock.systemUTC()),
                    new SessionRegistry(budget, kryo, 16), invoker, new Mailbox(budget));
            plane.refuseUntilReady();
            int port = plane.listen(vertx, "127.0.0.1", 0).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);

            try (RawConnection c = RawConnection.open(port)) {
                c.send(1, new Message.Hello("", "", "", "e2e-raw"));
                assertThat(c.readError(1, ErrorCode.PROCESS_UNAVAILABLE)).contains("p-starting is starting");
                assertThat(c.closedByPeer()).as("connection closed").isTrue();
            }

            plane.ready();
            try (RawConnection c = RawConnection.open(port)) {
                c.hello();
                c.assertServes(2);
            }
        } finally {
            invoker.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
