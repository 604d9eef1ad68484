package io.praas.process.session;

import io.praas.process.state.KeyValueStore;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * A client's session: its state and the serial queue that runs its invocations one at a time, in
 * the order they arrived.
 */
public final class Session {
    private final String id;
    private final KeyValueStore state;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean running;
    private volatile long lastActiveNanos;
    private volatile boolean closed;

    Session(String id, KeyValueStore state) {
        this.id = id;
        this.state = state;
        touch();
    }

    public String id() {
        return id;
    }

    public KeyValueStore state() {
        return state;
    }

    public boolean closed() {
        return closed;
    }

    void touch() {
        lastActiveNanos = System.nanoTime();
    }

    long lastActiveNanos() {
        return lastActiveNanos;
    }

    /** Runs {@code task} on {@code executor} after every task enqueued before it has finished. */
    public void enqueue(Runnable task, Executor executor) {
        touch();
        synchronized (this) {
            if (running) {
                queue.add(task);
                return;
            }
            running = true;
        }
        executor.execute(() -> runThenNext(task, executor));
    }

    private void runThenNext(Runnable task, Executor executor) {
        try {
            task.run();
        } finally {
            touch();
            Runnable next;
            synchronized (this) {
                next = queue.poll();
                if (next == null) {
                    running = false;
                }
            }
            if (next != null) {
                // Back of the pool's queue, so one busy session cannot starve the others.
                executor.execute(() -> runThenNext(next, executor));
            }
        }
    }

    /** True while an invocation of this session runs or waits. */
    synchronized boolean busy() {
        return running;
    }

    void close() {
        closed = true;
        state.close();
    }
}
