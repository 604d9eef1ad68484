package io.praas.controlplane.control;

import io.praas.controlplane.registry.ProcessRecord;
import io.praas.controlplane.registry.ProcessStatus;
import io.praas.controlplane.registry.Registry;
import io.praas.protocol.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps every process informed of its world (docs/PROTOCOL.md, WORLD): whenever a process of an
 * application is added, removed, or changes status or endpoint anywhere in the cluster, this node
 * sends the application's whole process list to each of that application's processes whose control
 * channel it holds. Pushes run one at a time, so a process sees versions in order; requests that
 * pile up while one runs collapse into one.
 */
public final class WorldPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorldPublisher.class);

    private final Registry registry;
    private final ControlServer server;
    /** How often every application's world is pushed again, changed or not: a lost push or event is repaired by then. */
    static final java.time.Duration REPUSH = java.time.Duration.ofSeconds(30);
    /** The wait before a push that failed (the registry unreachable a moment) is tried again. */
    static final java.time.Duration RETRY = java.time.Duration.ofSeconds(1);

    private final java.util.concurrent.ScheduledExecutorService pusher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "praas-world");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Boolean> pending = new ConcurrentHashMap<>();
    /** Grows across restarts of this node too: a process keeps the highest version it saw. */
    private final AtomicLong version = new AtomicLong(System.currentTimeMillis() * 1000);
    private final UUID registration;

    public WorldPublisher(Registry registry, ControlServer server) {
        this.registry = registry;
        this.server = server;
        this.registration = registry.onProcessChange(this::changed);
        // Entry events are not guaranteed around a member's failure, and a push may fail: every
        // world this node serves goes out again now and then (a process keeps the newest version).
        pusher.scheduleWithFixedDelay(() -> server.applications().forEach(this::changed), REPUSH.toMillis(),
                REPUSH.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Schedules a push of {@code application}'s world to its processes on this node. */
    public void changed(String application) {
        if (pending.putIfAbsent(application, Boolean.TRUE) == null) {
            pusher.execute(() -> {
                pending.remove(application);
                try {
                    int sent = server.pushWorld(application, worldOf(registry.processes(application), version.incrementAndGet()));
                    LOG.debug("world of {} pushed to {} processes", application, sent);
                } catch (RuntimeException e) {
                    LOG.warn("could not push the world of application {} ({}); trying again in {}", application,
                            e.toString(), RETRY);
                    try {
                        pusher.schedule(() -> changed(application), RETRY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.RejectedExecutionException closed) {
                        LOG.debug("not trying again: closed");
                    }
                }
            });
        }
    }

    /** The WORLD message for these processes (deleted ones are left out). */
    public static Message.World worldOf(List<ProcessRecord> processes, long version) {
        List<Message.WorldEntry> entries = new ArrayList<>(processes.size());
        for (ProcessRecord p : processes) {
            if (p.status() == ProcessStatus.DELETED) {
                continue;
            }
            ProcessRecord.Endpoint ep = p.endpoint();
            entries.add(new Message.WorldEntry(p.id(), p.status().name(), ep == null ? "" : ep.host(),
                    ep == null ? 0 : ep.port()));
        }
        return new Message.World(version, entries);
    }

    @Override
    public void close() {
        try {
            registry.removeListener(registration);
        } catch (RuntimeException e) {
            LOG.debug("removing the world listener: {}", e.toString());
        }
        pusher.shutdownNow();
    }
}
