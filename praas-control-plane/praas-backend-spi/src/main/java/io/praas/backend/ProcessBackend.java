package io.praas.backend;

import java.util.concurrent.CompletionStage;

/**
 * Runs processes somewhere: OS processes on this machine, Fargate tasks, Knative Services. The
 * control plane calls it; a started process then dials the control plane and registers.
 *
 * <pre>{@code
 * ProcessBackend backend = ...;
 * BackendHandle h = backend.start(spec).toCompletableFuture().join();
 * backend.stop(h).toCompletableFuture().join();
 * }</pre>
 *
 * <p>Implementations are thread-safe; they report failures as {@link BackendException}.
 */
public interface ProcessBackend extends AutoCloseable {

    /** A short name stored with each process ({@code local}, {@code fargate}, {@code knative}). */
    String name();

    /** The largest resources one process may have. */
    Resources caps();

    /** Starts a process; completes when the backend has started it (not when it has registered). */
    CompletionStage<BackendHandle> start(LaunchSpec spec);

    /** Stops a process (gracefully: it gets SIGTERM or its equivalent); idempotent. */
    CompletionStage<Void> stop(BackendHandle handle);

    /**
     * Whether a launch's environment may carry a copy of a small swap snapshot, the process's own
     * state (PRAAS_SWAP_IN_INLINE), so that its swap-in need not read the store. False by default:
     * a container platform keeps a task's or pod's environment in its API, where whoever may read
     * the task could read the state; a backend whose environments stay with the processes (the local
     * backend: on this machine, readable by the user the processes run as) says true. Processes on a
     * backend that says false send no copies either.
     */
    default boolean takesInlineSnapshots() {
        return false;
    }

    /**
     * Whether a process this backend starts again after a crash finds what its earlier incarnation
     * wrote under the journal directory it was given ({@code PRAAS_JOURNAL_DIR}): what durability
     * {@code journal} needs, and the control plane refuses it otherwise. False by default: a
     * container platform restarts a process as a new task or pod on fresh storage, where the journal
     * is gone; the local backend runs every incarnation on this machine's disk and says true.
     */
    default boolean keepsJournals() {
        return false;
    }

    /**
     * Registers a listener for processes that end (exit, crash, task stopped), called with the
     * application, the process id and the handle of the incarnation that ended (a process that
     * swapped out and in again has a new handle). Backends that cannot observe this may ignore it;
     * the control plane also notices missed heartbeats.
     */
    default void onExit(ExitListener listener) {
    }

    /** Told when a process ends. */
    @FunctionalInterface
    interface ExitListener {
        void exited(String application, String processId, BackendHandle handle);
    }

    /** Releases the backend's resources (not the processes). */
    @Override
    default void close() {
    }
}
