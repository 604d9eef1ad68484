package io.praas.process.messaging;

import io.praas.client.ProcessStatus;
import io.praas.function.Peer;
import io.praas.protocol.Message;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The processes of this process's application as the control plane last pushed them (WORLD on the
 * control channel). Thread-safe: updates replace the whole view.
 *
 * <pre>{@code
 * World world = new World();
 * world.update(worldMessage);
 * Peer p = world.get("p-2");             // null when the application has no such process
 * world.nextChange().get();              // completes at the next update
 * }</pre>
 */
public final class World {
    private volatile Map<String, Peer> processes = Map.of();
    private volatile long version = -1;
    private volatile CompletableFuture<Void> next = new CompletableFuture<>();
    private volatile Consumer<World> listener = w -> { };

    /** True once the control plane has sent a world (never, for a process without a control plane). */
    public boolean known() {
        return version >= 0;
    }

    /** Takes a WORLD; older versions than the one held are ignored. */
    public void update(Message.World world) {
        CompletableFuture<Void> done;
        synchronized (this) {
            if (world.version() <= version) {
                return;
            }
            Map<String, Peer> m = new LinkedHashMap<>();
            for (Message.WorldEntry e : world.processes()) {
                m.put(e.processId(), new Peer(e.processId(), ProcessStatus.parse(e.status()), e.host(), e.port()));
            }
            processes = java.util.Collections.unmodifiableMap(m);
            version = world.version();
            done = next;
            next = new CompletableFuture<>();
        }
        listener.accept(this);
        done.complete(null);
    }

    /** Called after each update. */
    public void onUpdate(Consumer<World> listener) {
        this.listener = listener;
    }

    public Peer get(String processId) {
        return processes.get(processId);
    }

    public List<Peer> all() {
        return List.copyOf(processes.values());
    }

    public long version() {
        return version;
    }

    /** Completes at the next update. */
    public CompletableFuture<Void> nextChange() {
        return next;
    }
}
