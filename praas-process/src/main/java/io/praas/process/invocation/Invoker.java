package io.praas.process.invocation;

import io.praas.codec.KryoCodec;
import io.praas.process.Deadlines;
import io.praas.process.messaging.Messaging;

import io.praas.codec.CodecException;
import io.praas.function.StateLimitExceededException;
import io.praas.process.function.FunctionRegistry;
import io.praas.process.function.RegisteredFunction;
import io.praas.process.session.Session;
import io.praas.process.state.KeyValueStore;
import io.praas.protocol.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs function invocations off the event loop on a bounded worker pool.
 *
 * <ul>
 *   <li>Admission: at most {@code workers + queueCapacity} invocations are admitted at once; the
 *       next one is refused with OVERLOADED.</li>
 *   <li>Sessions: invocations of one session go through its serial queue.</li>
 *   <li>Timeouts cover queueing and execution: the caller gets TIMEOUT and a running function is
 *       interrupted.</li>
 *   <li>A function's invocation of a function of its own process runs on a separate, unbounded
 *       pool of nested-call threads (limited by nesting depth), so a caller that waits for it never
 *       deadlocks, even with one worker.</li>
 * </ul>
 */
public final class Invoker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Invoker.class);

    private final FunctionRegistry functions;
    private final String processId;
    private final String application;
    private final KeyValueStore processState;
    private final int capacity;
    private final int maxNestingDepth;
    private final AtomicInteger admitted = new AtomicInteger();
    /** Input bytes of the invocations admitted and not yet ended, and how many they may be at most. */
    private final java.util.concurrent.atomic.AtomicLong admittedInputBytes = new java.util.concurrent.atomic.AtomicLong();
    private final long maxInputBytes;
    private final java.util.concurrent.atomic.LongAdder completed = new java.util.concurrent.atomic.LongAdder();
    private volatile long lastActivityEpochMs = System.currentTimeMillis();
    private final ThreadPoolExecutor workers;
    private final ExecutorService nested;
    private volatile Messaging messaging;
    private volatile KryoCodec kryo;

    public Invoker(FunctionRegistry functions, String processId, String application, KeyValueStore processState,
                   int workerThreads, int queueCapacity, int maxNestingDepth) {
        this(functions, processId, application, processState, workerThreads, queueCapacity, maxNestingDepth,
                Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4));
    }

    /**
     * @param maxInputBytes input bytes the invocations admitted and not yet ended may hold in all
     *                      (default a quarter of the heap, at least 64 MiB); past it, OVERLOADED
     */
    Invoker(FunctionRegistry functions, String processId, String application, KeyValueStore processState,
            int workerThreads, int queueCapacity, int maxNestingDepth, long maxInputBytes) {
        this.maxInputBytes = maxInputBytes;
        this.functions = functions;
        this.processId = processId;
        this.application = application;
        this.processState = processState;
        this.capacity = workerThreads + queueCapacity;
        this.maxNestingDepth = maxNestingDepth;
        this.workers = new ThreadPoolExecutor(workerThreads, workerThreads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), threads("praas-worker-"));
        this.nested = Executors.newCachedThreadPool(threads("praas-nested-"));
    }

    /** Lets functions message and invoke other processes and use collectives. */
    public void messaging(Messaging messaging, KryoCodec kryo) {
        this.messaging = messaging;
        this.kryo = kryo;
    }

    Messaging messaging() {
        return messaging;
    }

    KryoCodec kryo() {
        return kryo;
    }

    /**
     * Admits an invocation from a client or peer. The future completes with the encoded output, or
     * with an {@link InvocationException}.
     *
     * @throws InvocationException with UNKNOWN_FUNCTION or OVERLOADED, before anything is queued
     */
    public CompletableFuture<byte[]> submit(String function, Session session, byte[] input, long timeoutMs) {
        RegisteredFunction fn = lookup(function);
        if (admitted.incrementAndGet() > capacity) {
            admitted.decrementAndGet();
            throw new InvocationException(ErrorCode.OVERLOADED,
                    "the process's " + capacity + " invocation slots are taken; retry later");
        }
        // Slots count invocations, not bytes: large inputs waiting for a worker are bounded apart.
        long inputs = admittedInputBytes.addAndGet(input.length);
        if (inputs > maxInputBytes && inputs > input.length) { // one alone is always taken
            giveBack(input);
            throw new InvocationException(ErrorCode.OVERLOADED, "the inputs of the invocations this process holds "
                    + "take its " + (maxInputBytes >> 20) + " MiB for inputs; retry later");
        }
        Invocation inv = new Invocation(fn, session, input, timeoutMs, 0);
        inv.release = () -> {
            giveBack(input);
            completed.increment();
            lastActivityEpochMs = System.currentTimeMillis();
        };
        schedule(inv);
        try {
            if (session != null) {
                session.enqueue(inv, workers);
            } else {
                workers.execute(inv);
            }
        } catch (java.util.concurrent.RejectedExecutionException e) { // the workers are shut down: stopping
            InvocationException stopping = new InvocationException(ErrorCode.PROCESS_UNAVAILABLE,
                    "process " + processId + " is stopping");
            if (inv.refuse(stopping)) { // (its deadline's expiry gives nothing back a second time)
                giveBack(input);
            }
            throw stopping;
        }
        return inv.result;
    }

    /** Gives back the slot and the input bytes an invocation was admitted with. */
    private void giveBack(byte[] input) {
        admitted.decrementAndGet();
        admittedInputBytes.addAndGet(-input.length);
    }

    /** A function's call of another function of this process (see the class comment). */
    CompletableFuture<byte[]> submitNested(String function, Session session, byte[] input, long timeoutMs, int depth,
                                           java.util.function.Consumer<CompletableFuture<Void>> ends) {
        if (depth > maxNestingDepth) {
            return CompletableFuture.failedFuture(new InvocationException(ErrorCode.INVALID_ARGUMENT,
                    "nested invocations deeper than " + maxNestingDepth));
        }
        RegisteredFunction fn;
        try {
            fn = lookup(function);
        } catch (InvocationException e) {
            return CompletableFuture.failedFuture(e);
        }
        Invocation inv = new Invocation(fn, session, input, timeoutMs, depth);
        inv.ended = new CompletableFuture<>();
        ends.accept(inv.ended);
        schedule(inv);
        try {
            nested.execute(inv);
        } catch (java.util.concurrent.RejectedExecutionException e) { // stopping
            inv.ended.complete(null);
            Deadlines.forget(inv);
            return CompletableFuture.failedFuture(new InvocationException(ErrorCode.PROCESS_UNAVAILABLE,
                    "process " + processId + " is stopping"));
        }
        return inv.result;
    }

    private RegisteredFunction lookup(String function) {
        RegisteredFunction fn = functions.get(function);
        if (fn == null) {
            throw new InvocationException(ErrorCode.UNKNOWN_FUNCTION,
                    "no function '" + function + "' in application " + application);
        }
        return fn;
    }

    /** Watches the invocation's deadline (see {@link Deadlines}) until it completes. */
    private void schedule(Invocation inv) {
        Deadlines.watch(inv);
        inv.result.whenComplete((r, e) -> Deadlines.forget(inv));
    }

    /** Invocations admitted and not yet finished. */
    public int inFlight() {
        return admitted.get();
    }

    /** Invocations from clients and peers finished since start. */
    public long completedInvocations() {
        return completed.sum();
    }

    /** When the last client or peer invocation finished (or the process started), epoch ms. */
    public long lastActivityEpochMs() {
        return lastActivityEpochMs;
    }

    public int capacity() {
        return capacity;
    }

    /** Stops the pools; running functions are interrupted. */
    @Override
    public void close() {
        workers.shutdownNow();
        nested.shutdownNow();
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** One invocation: QUEUED, then RUNNING, then DONE; or TIMED_OUT at any point before DONE. */
    final class Invocation implements Runnable, Deadlines.Expiring {
        private static final int QUEUED = 0;
        private static final int RUNNING = 1;
        private static final int DONE = 2;
        private static final int TIMED_OUT = 3;

        final RegisteredFunction fn;
        final Session session;
        final byte[] input;
        final long timeoutMs;
        final int depth;
        final long deadlineNanos;
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        Runnable release = () -> { };
        /** A nested call's: completes when it can no longer run or write (it ended, or timed out queued). */
        CompletableFuture<Void> ended;
        private int state = QUEUED;
        private Thread runner;
        /** Nested calls made by this invocation's function. */
        private InvocationContext context;

        Invocation(RegisteredFunction fn, Session session, byte[] input, long timeoutMs, int depth) {
            this.fn = fn;
            this.session = session;
            this.input = input;
            this.timeoutMs = timeoutMs;
            this.depth = depth;
            this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        }

        @Override
        public void run() {
            synchronized (this) {
                if (state != QUEUED) {
                    return; // timed out while queued: expire() gave its slot back
                }
                state = RUNNING;
                runner = Thread.currentThread();
            }
            try {
                execute();
                if (session != null && context != null) {
                    // A session runs one invocation at a time: the next one starts only when the
                    // nested calls of this one have ended too (they may outlive a caller that timed out).
                    context.awaitNested();
                }
            } finally {
                synchronized (this) {
                    if (state == RUNNING) {
                        state = DONE;
                    }
                    runner = null;
                    Thread.interrupted(); // a timeout's interrupt must not reach the next task
                }
                release.run();
                if (ended != null) {
                    ended.complete(null);
                }
            }
        }

        @SuppressWarnings("unchecked")
        private void execute() {
            if (session != null && session.closed()) {
                result.completeExceptionally(new InvocationException(ErrorCode.SESSION_NOT_FOUND,
                        "session " + session.id() + " was closed"));
                return;
            }
            Object in;
            try {
                in = fn.inputCodec().decode(input);
            } catch (CodecException | IllegalArgumentException e) {
                result.completeExceptionally(new InvocationException(ErrorCode.INVALID_ARGUMENT,
                        "input of '" + fn.name() + "' does not decode: " + e.getMessage()));
                return;
            } catch (Throwable e) {
                // Any other failure of the application's codec (a length that asks for more memory
                // than there is, a codec's own bug): answered, never left for the caller's timeout.
                result.completeExceptionally(new InvocationException(ErrorCode.INVALID_ARGUMENT,
                        "input of '" + fn.name() + "' does not decode: " + e));
                return;
            }
            InvocationContext ctx = new InvocationContext(Invoker.this, processId, application, processState,
                    session, fn.name(), deadlineNanos, depth);
            context = ctx;
            try {
                Object out = fn.function().handle(in, ctx);
                result.complete(fn.outputCodec().encode(out));
            } catch (StateLimitExceededException e) {
                result.completeExceptionally(new InvocationException(ErrorCode.STATE_LIMIT_EXCEEDED, e.getMessage()));
            } catch (InterruptedException e) {
                result.completeExceptionally(new InvocationException(ErrorCode.TIMEOUT,
                        "'" + fn.name() + "' was interrupted"));
            } catch (Throwable e) {
                if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
                    LOG.error("function {} hit {}", fn.name(), e.toString());
                }
                result.completeExceptionally(new InvocationException(ErrorCode.FUNCTION_FAILED,
                        e.getClass().getName() + ": " + e.getMessage()));
            } finally {
                if (ctx.usedLogger()) {
                    MDC.clear();
                }
            }
        }

        @Override
        public long deadlineNanos() {
            return deadlineNanos;
        }

        /** Ends it before it was queued anywhere (refused); false if its deadline ended it first. */
        boolean refuse(InvocationException why) {
            synchronized (this) {
                if (state != QUEUED) {
                    return false;
                }
                state = DONE;
            }
            Deadlines.forget(this);
            result.completeExceptionally(why);
            return true;
        }

        @Override
        public void expire() {
            boolean queued;
            synchronized (this) {
                if (state == DONE || state == TIMED_OUT) {
                    return;
                }
                queued = state == QUEUED;
                if (state == RUNNING && runner != null) {
                    runner.interrupt();
                }
                state = TIMED_OUT;
            }
            if (queued) {
                // It will never run: its slot and input bytes are free now, not when a worker gets to
                // it (behind a session's invocation that ignores its interrupt, that may be never).
                if (session != null) {
                    session.dequeue(this);
                } else if (depth == 0) {
                    workers.remove(this);
                }
                release.run();
                if (ended != null) {
                    ended.complete(null);
                }
            }
            result.completeExceptionally(new InvocationException(ErrorCode.TIMEOUT,
                    "'" + fn.name() + "' did not finish within " + timeoutMs + " ms"));
        }
    }
}
