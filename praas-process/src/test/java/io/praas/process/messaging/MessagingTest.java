package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.process.state.StateBudget;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Messaging}'s receive against its world, without peers on the network. */
class MessagingTest {
    private final Mailbox mailbox = new Mailbox(new StateBudget(1024 * 1024));
    private final World world = new World();
    private final Messaging messaging = new Messaging("shop", "p-1", mailbox, world, () -> "",
            id -> CompletableFuture.failedFuture(new IllegalStateException("no control plane here")));

    @AfterEach
    void close() {
        messaging.close();
    }

    @Test
    void aMessageFromASenderThatStoppedSinceIsStillReceived() throws Exception {
        world.update(new Message.World(1, List.of(new Message.WorldEntry("p-1", "ACTIVE", "127.0.0.1", 1),
                new Message.WorldEntry("p-2", "ACTIVE", "127.0.0.1", 2))));
        mailbox.deliver("p-2", "result", "42".getBytes(StandardCharsets.UTF_8));
        world.update(new Message.World(2, List.of(new Message.WorldEntry("p-1", "ACTIVE", "127.0.0.1", 1),
                new Message.WorldEntry("p-2", "STOPPED", "", 0))));

        assertThat(messaging.receive("p-2", "result", null, deadline()).get(5, TimeUnit.SECONDS).data())
                .isEqualTo("42".getBytes(StandardCharsets.UTF_8));
        // Nothing more will come from it.
        assertThatThrownBy(() -> messaging.receive("p-2", "result", null, deadline()).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(PraasException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE));
    }

    @Test
    void aMessageFromASenderThatLeftTheApplicationIsStillReceived() throws Exception {
        world.update(new Message.World(1, List.of(new Message.WorldEntry("p-1", "ACTIVE", "127.0.0.1", 1))));
        mailbox.deliver("p-3", "result", "7".getBytes(StandardCharsets.UTF_8)); // p-3 deleted since

        assertThat(messaging.receive("p-3", "result", null, deadline()).get(5, TimeUnit.SECONDS).from())
                .isEqualTo("p-3");
        assertThatThrownBy(() -> messaging.receive("p-3", "result", null, deadline()).get(5, TimeUnit.SECONDS))
                .cause().hasMessageContaining("no process 'p-3'");
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    }
}
