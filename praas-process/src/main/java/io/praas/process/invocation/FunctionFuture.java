package io.praas.process.invocation;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A future handed to a function ({@code ctx.send}, {@code ctx.receive}, {@code ctx.invoke} of
 * another process). Those complete on the process's I/O threads: its one event loop, a peer link's
 * reader. A thread that waits on it ({@code join}, {@code get}) is woken directly, but callbacks
 * chained on it run on a thread of their own, never on the completing one: a callback that blocks
 * (a {@code send(...).join()} inside {@code thenAccept}) would otherwise stall the data plane, or the
 * very reader its own answer must come through. (The JDK's static combinators, {@code allOf} and
 * {@code anyOf}, chain on it internally: what follows them runs where it completes. Join those
 * from the function's thread.)
 *
 * <p>Ended by its caller first ({@code cancel}, {@code orTimeout}, {@code completeOnTimeout}), it
 * cancels the operation's own future first: a receive then takes no message (the mailbox keeps one
 * that arrives). If the operation completed first, its outcome wins and the caller's end is refused,
 * so a message a receive took is never dropped.
 */
final class FunctionFuture<T> extends CompletableFuture<T> {
    private static final ExecutorService CALLBACKS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "praas-function-callback");
        t.setDaemon(true);
        return t;
    });

    /** The operation's own future (null for the futures chained on this one). */
    private final CompletableFuture<T> source;

    private FunctionFuture(CompletableFuture<T> source) {
        this.source = source;
    }

    /** A future that completes as {@code source} does, with callbacks kept off its completing thread. */
    static <T> CompletableFuture<T> of(CompletableFuture<T> source) {
        FunctionFuture<T> f = new FunctionFuture<>(source);
        source.whenComplete((value, error) -> {
            if (error == null) {
                f.completeFromSource(value);
            } else {
                f.failFromSource(error);
            }
        });
        return f;
    }

    private void completeFromSource(T value) {
        super.complete(value);
    }

    private void failFromSource(Throwable error) {
        if (callerEnds && error instanceof java.util.concurrent.CancellationException) {
            return; // the caller's own end, which it completes this future with
        }
        super.completeExceptionally(error);
    }

    /** Set while the caller ends this future: the source's cancellation it causes is not the outcome. */
    private volatile boolean callerEnds;

    /**
     * The caller ends it first (its own timeout, a cancel): only if the operation's future can still
     * be cancelled. If the operation has completed already (a receive has taken its message), its
     * outcome stands and is what this future gets.
     */
    private boolean endedByCaller() {
        if (source == null) {
            return true;
        }
        callerEnds = true;
        if (source.cancel(false) || source.isCancelled()) {
            return true;
        }
        callerEnds = false;
        return false;
    }

    @Override
    public boolean complete(T value) {
        return endedByCaller() && super.complete(value);
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
        return endedByCaller() && super.completeExceptionally(ex);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return endedByCaller() && super.cancel(mayInterruptIfRunning);
    }

    @Override
    public void obtrudeValue(T value) {
        endedByCaller();
        super.obtrudeValue(value);
    }

    @Override
    public void obtrudeException(Throwable ex) {
        endedByCaller();
        super.obtrudeException(ex);
    }

    @Override
    public CompletableFuture<T> completeAsync(java.util.function.Supplier<? extends T> supplier, Executor executor) {
        // Through complete (the JDK's own completes internally, past the operation's future).
        executor.execute(() -> {
            try {
                complete(supplier.get());
            } catch (Throwable t) {
                completeExceptionally(t);
            }
        });
        return this;
    }

    @Override
    public CompletableFuture<T> completeAsync(java.util.function.Supplier<? extends T> supplier) {
        return completeAsync(supplier, defaultExecutor());
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new FunctionFuture<>(null);
    }

    @Override
    public Executor defaultExecutor() {
        return CALLBACKS;
    }

    @Override
    public <U> CompletableFuture<U> thenApply(Function<? super T, ? extends U> fn) {
        return thenApplyAsync(fn);
    }

    @Override
    public CompletableFuture<Void> thenAccept(Consumer<? super T> action) {
        return thenAcceptAsync(action);
    }

    @Override
    public CompletableFuture<Void> thenRun(Runnable action) {
        return thenRunAsync(action);
    }

    @Override
    public <U, V> CompletableFuture<V> thenCombine(CompletionStage<? extends U> other,
                                                   BiFunction<? super T, ? super U, ? extends V> fn) {
        return thenCombineAsync(other, fn);
    }

    @Override
    public <U> CompletableFuture<Void> thenAcceptBoth(CompletionStage<? extends U> other,
                                                      BiConsumer<? super T, ? super U> action) {
        return thenAcceptBothAsync(other, action);
    }

    @Override
    public CompletableFuture<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
        return runAfterBothAsync(other, action);
    }

    @Override
    public <U> CompletableFuture<U> applyToEither(CompletionStage<? extends T> other, Function<? super T, U> fn) {
        return applyToEitherAsync(other, fn);
    }

    @Override
    public CompletableFuture<Void> acceptEither(CompletionStage<? extends T> other, Consumer<? super T> action) {
        return acceptEitherAsync(other, action);
    }

    @Override
    public CompletableFuture<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
        return runAfterEitherAsync(other, action);
    }

    @Override
    public <U> CompletableFuture<U> thenCompose(Function<? super T, ? extends CompletionStage<U>> fn) {
        return thenComposeAsync(fn);
    }

    @Override
    public <U> CompletableFuture<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
        return handleAsync(fn);
    }

    @Override
    public CompletableFuture<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
        return whenCompleteAsync(action);
    }

    @Override
    public CompletableFuture<T> exceptionally(Function<Throwable, ? extends T> fn) {
        return exceptionallyAsync(fn);
    }

    @Override
    public CompletableFuture<T> exceptionallyCompose(Function<Throwable, ? extends CompletionStage<T>> fn) {
        return exceptionallyComposeAsync(fn);
    }
}
