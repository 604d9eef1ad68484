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

    /** Takes {@code task} out of the queue if it still waits there (it timed out before it ran). */
    public synchronized void dequeue(Runnable task) {
        queue.remove(task);
    }

    /** Consecutive invocations of one session a worker runs before it yields to other sessions. */
    static final int BATCH = 8;

    private void runThenNext(Runnable first, Executor executor) {
        Runnable task = first;
        for (int ran = 1; ; ran++) {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                // One failed task must not stall the session's queue (nor leave it marked running).
                org.slf4j.LoggerFactory.getLogger(Session.class).warn("session {}: a queued task failed: {}", id, e.toString());
            } finally {
                touch();
            }
            Runnable next;
            synchronized (this) {
                next = queue.poll();
                if (next == null) {
                    running = false;
                    return;
                }
            }
            if (ran == BATCH) {
                // Back of the pool's queue, so one busy session cannot starve the others.
                Runnable resumed = next;
                executor.execute(() -> runThenNext(resumed, executor));
                return;
            }
            task = next; // on this worker: no hand-off to another thread
        }
    }

    /** True while an invocation of this session runs or waits. */
    synchronized boolean busy() {
        return running;
    }

    /**
     * Closes the session: {@code journalClosing} runs once the writes of its state under way have
     * ended, and if it throws, the session stays open and unchanged.
     */
    void close(Runnable journalClosing) {
        state.close(journalClosing);
        closed = true;
    }

    /** As {@link #close}, if no write of its state is under way; false otherwise, without waiting. */
    boolean tryClose(Runnable journalClosing) {
        if (!state.tryClose(journalClosing)) {
            return false;
        }
        closed = true;
        return true;
    }

    /**
     * As {@link #close}, if nothing of the session runs or waits; false (and nothing changes)
     * otherwise. Decided under the lock {@link #enqueue} takes, so an invocation either starts before
     * and keeps the session, or starts after and finds it closed.
     */
    synchronized boolean closeIfIdle(Runnable journalClosing) {
        if (running) {
            return false;
        }
        close(journalClosing);
        return true;
    }
}
