package io.praas.bench;

import io.praas.client.ProcessClient;
import io.praas.client.ProcessSession;

import java.util.ArrayList;
import java.util.List;

/**
 * Pipelined no-op invokes through PraaS: one {@link ProcessClient}, {@code sessions} sessions,
 * each with {@code window} {@code invokeAsync} calls in flight; each completion issues the next
 * invoke from the completing thread (the client's event loop).
 */
final class PraasPipeline extends Pipeline {
    private final ProcessClient client;
    private final List<ProcessSession> sessions = new ArrayList<>();
    private final int window;
    private final String function;
    private final byte[] payload;

    PraasPipeline(String host, int port, int sessionCount, int window, String function, byte[] payload) {
        this.client = ProcessClient.builder().address(host, port).application("samples").connect();
        this.window = window;
        this.function = function;
        this.payload = payload;
        try {
            for (int i = 0; i < sessionCount; i++) {
                sessions.add(client.openSession());
            }
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The id of one session (all are the same length), to size the baseline's frames alike. */
    String sessionId() {
        return sessions.get(0).id();
    }

    @Override
    void start() {
        for (ProcessSession s : sessions) {
            for (int i = 0; i < window; i++) {
                inFlight.incrementAndGet();
                issue(s);
            }
        }
    }

    private void issue(ProcessSession s) {
        s.invokeAsync(function, payload).whenComplete((out, err) -> {
            if (err != null) {
                failed(err);
            } else if (succeeded()) {
                issue(s);
            }
        });
    }

    /** Closes the sessions (best effort: they would otherwise idle on the process) and the connection. */
    @Override
    public void close() {
        try {
            for (ProcessSession s : sessions) {
                if (client.isOpen()) {
                    s.close();
                }
            }
        } catch (RuntimeException e) {
            // the connection is going anyway
        } finally {
            client.close();
        }
    }
}
