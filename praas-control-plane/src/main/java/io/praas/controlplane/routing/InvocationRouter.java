package io.praas.controlplane.routing;

import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.controlplane.ControlPlaneException;
import io.praas.controlplane.ControlPlaneException.Code;
import io.praas.controlplane.lifecycle.ProcessLifecycle;
import io.praas.controlplane.registry.ApplicationRecord;
import io.praas.controlplane.registry.ProcessRecord;
import io.praas.controlplane.registry.ProcessStatus;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Invocation through the control plane: picks a process (the sticky one; else an ACTIVE one with
 * spare capacity; else one starting; else a new one up to the application's limit, one at a time;
 * else the least loaded) and
 * forwards the invocation over the data plane on a connection this node keeps per process.
 * Capacity is counted per node: each node routes at most maxConcurrencyPerProcess invocations to a
 * process at once before it prefers another.
 */
public final class InvocationRouter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InvocationRouter.class);

    /** An invocation's output and the process that produced it. */
    public record Routed(String processId, byte[] output) {
    }

    private final Vertx vertx;
    private final ProcessLifecycle lifecycle;
    private final Map<String, ProcessClient> clients = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    /** Per application, the process this node is creating for invocations, done or not. */
    private final Map<String, CompletableFuture<ProcessRecord>> creating = new ConcurrentHashMap<>();
    /**
     * Sessions this node has opened (or is opening) on each connection, by id (a REST caller cannot
     * send OPEN_SESSION).
     */
    private final Map<ProcessClient, Map<String, CompletableFuture<?>>> opened = new ConcurrentHashMap<>();

    public InvocationRouter(Vertx vertx, ProcessLifecycle lifecycle) {
        this.vertx = vertx;
        this.lifecycle = lifecycle;
        this.routing = vertx.createSharedWorkerExecutor("praas-routing", ROUTING_THREADS);
    }

    /** Invocations that may be routed (and wait for a process) at once; more queue for a thread. */
    static final int ROUTING_THREADS = 256;
    /** Where invocations are routed, and routed again (see {@link #route}). */
    private final io.vertx.core.WorkerExecutor routing;

    /**
     * Routes one invocation on this router's routing threads, and completes with its result. A
     * pick may wait for a process to start (seconds on the local backend, a minute on Fargate) or
     * swap in: not on Vert.x's shared worker pool, whose threads the REST API's other routes, the
     * heartbeat check and the downscaler need meanwhile. The threads end with Vert.x, after the
     * node's stop has waited for the starts under way (closed earlier, they would interrupt one
     * into a failed start).
     */
    public io.vertx.core.Future<Routed> route(String application, String function, String process, String session,
                                              byte[] input, Duration timeout) {
        return routing.executeBlocking(() -> invoke(application, function, process, session, input, timeout), false)
                .compose(io.vertx.core.Future::fromCompletionStage);
    }

    /**
     * Routes one invocation. Blocks while it picks (and perhaps allocates) a process, then returns a
     * future of the result.
     */
    public CompletableFuture<Routed> invoke(String application, String function, String process, String session,
                                            byte[] input, Duration timeout) {
        if (function == null || function.isEmpty()) {
            throw ControlPlaneException.invalid("function name must not be empty");
        }
        if (session != null && process == null) {
            throw ControlPlaneException.invalid("a session lives on one process: give 'process' with 'session'");
        }
        return attempt(application, function, process, session, input, timeout, 1);
    }

    /**
     * Tries to route the invocation. A process that began to swap out or stop after it was picked
     * refuses it as not started, or its connection as it drains: the invocation did not run, and
     * is routed again, up to {@link #ATTEMPTS} times (a sticky process is then waited for and
     * swapped in; another one is picked).
     */
    private CompletableFuture<Routed> attempt(String application, String function, String process, String session,
                                              byte[] input, Duration timeout, int attempt) {
        ApplicationRecord app = lifecycle.application(application);
        ProcessRecord target;
        if (process != null) {
            target = sticky(application, process);
            counter(target).incrementAndGet();
        } else {
            target = pick(app); // counted already
        }
        AtomicInteger counter = counter(target);
        ProcessClient client;
        try {
            client = clientFor(target);
        } catch (RuntimeException e) {
            counter.decrementAndGet();
            if (attempt < ATTEMPTS && e instanceof ControlPlaneException cpe && cpe.code() == Code.PROCESS_UNAVAILABLE) {
                pause();
                return attempt(application, function, process, session, input, timeout, attempt + 1);
            }
            throw e;
        }
        CompletableFuture<Routed> result = new CompletableFuture<>();
        CompletableFuture<byte[]> call;
        if (session == null) {
            call = client.invokeAsync(function, "", input, timeout);
        } else {
            // A session the process no longer has (expired, closed) is opened again with its id, once:
            // SESSION_NOT_FOUND means the invocation did not run.
            call = inSession(client, session, () -> client.invokeAsync(function, session, input, timeout))
                    .exceptionallyCompose(err -> {
                        if (!sessionNotFound(err)) {
                            return CompletableFuture.failedFuture(err);
                        }
                        forgetSession(client, session);
                        return inSession(client, session, () -> client.invokeAsync(function, session, input, timeout));
                    });
        }
        call.whenComplete((out, err) -> {
            counter.decrementAndGet();
            if (err == null) {
                result.complete(new Routed(target.id(), out));
                return;
            }
            Throwable cause = err.getCause() != null && !(err instanceof PraasException) ? err.getCause() : err;
            if (!client.isOpen()) {
                clients.remove(target.key(), client);
                opened.remove(client);
            }
            if (attempt < ATTEMPTS && cause instanceof PraasException pe && notStarted(pe)) {
                // Off the client's event loop: routing again may wait for a swap-in.
                routing.executeBlocking(() -> {
                    pause();
                    return attempt(application, function, process, session, input, timeout, attempt + 1);
                }, false).compose(io.vertx.core.Future::fromCompletionStage).onComplete(again -> {
                    if (again.succeeded()) {
                        result.complete(again.result());
                    } else {
                        result.completeExceptionally(again.cause());
                    }
                });
                return;
            }
            result.completeExceptionally(translate(target, cause));
        });
        return result;
    }

    /** Routings of one invocation at most: the first and two more after a refusal as not started. */
    static final int ATTEMPTS = 3;

    /** Refused before it ran: the process is going away (swap-out, stop), and it did not start. */
    private static boolean notStarted(PraasException e) {
        return e.code() == io.praas.protocol.ErrorCode.PROCESS_UNAVAILABLE && !e.mayHaveRun()
                && !(e instanceof io.praas.client.PraasConnectionException);
    }

    /** A moment for the record of a process going away to say so. */
    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Runs {@code call} once {@code session} is open on {@code client}: the first caller resumes it (or
     * creates it with that id); callers meanwhile wait for that, so none invokes before it is open.
     */
    private <T> CompletableFuture<T> inSession(ProcessClient client, String session,
                                               java.util.function.Supplier<CompletableFuture<T>> call) {
        Map<String, CompletableFuture<?>> sessions = opened.computeIfAbsent(client, c -> new ConcurrentHashMap<>());
        CompletableFuture<?> open = sessions.computeIfAbsent(session, id -> {
            CompletableFuture<?> f = client.openSessionAsync(id);
            f.whenComplete((s, err) -> {
                if (err != null) {
                    sessions.remove(id, f); // the next call tries again
                }
            });
            return f;
        });
        return open.thenCompose(s -> call.get());
    }

    private void forgetSession(ProcessClient client, String session) {
        Map<String, CompletableFuture<?>> sessions = opened.get(client);
        if (sessions != null) {
            sessions.remove(session);
        }
    }

    private static boolean sessionNotFound(Throwable err) {
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                ? err.getCause() : err;
        return cause instanceof PraasException e && e.code() == io.praas.protocol.ErrorCode.SESSION_NOT_FOUND;
    }

    private ProcessRecord sticky(String application, String id) {
        ProcessRecord p = lifecycle.process(application, id);
        if (p.status() == ProcessStatus.SWAPPED_OUT || p.status() == ProcessStatus.SWAPPING_IN
                || p.status() == ProcessStatus.SWAPPING_OUT) {
            p = lifecycle.swapIn(application, id); // on demand: the sticky process comes back with its state
        } else if (p.status() == ProcessStatus.ALLOCATING) {
            p = lifecycle.awaitActive(application, id); // starting, or restarting from its journal
        }
        if (p.status() != ProcessStatus.ACTIVE) {
            throw new ControlPlaneException(p.status() == ProcessStatus.FAILED ? Code.PROCESS_UNAVAILABLE : Code.CONFLICT,
                    "process " + p.key() + " is " + p.status() + (p.failure() != null ? " (" + p.failure() + ")" : ""));
        }
        return p;
    }

    /**
     * An ACTIVE process with room (fewer than maxConcurrencyPerProcess of this node's invocations);
     * else one starting (created by an earlier invocation, here or on another node, or swapping in),
     * waited for; else a new one, one at a time per application on this node (invocations meanwhile
     * wait for it rather than start more); else, at the process limit, the least loaded of those
     * there are, waited for if need be. The invocation is counted on the process it returns.
     */
    private ProcessRecord pick(ApplicationRecord app) {
        int limit = app.limits().maxConcurrencyPerProcess();
        for (int attempt = 0; ; attempt++) {
            ProcessRecord active = reserveLeastLoaded(app, limit, ProcessStatus.ACTIVE);
            if (active != null) {
                return active;
            }
            ProcessRecord starting = reserveLeastLoaded(app, limit, ProcessStatus.ALLOCATING, ProcessStatus.SWAPPING_IN);
            if (starting != null) {
                ProcessRecord ready = awaitReserved(starting, attempt);
                if (ready != null) {
                    return ready;
                }
                continue; // it failed to start: pick again
            }
            CompletableFuture<ProcessRecord> mine = new CompletableFuture<>();
            CompletableFuture<ProcessRecord> theirs = creating.putIfAbsent(app.name(), mine);
            if (theirs != null) {
                try {
                    theirs.join(); // then pick again: it has room, or is full
                } catch (java.util.concurrent.CompletionException e) {
                    throw e.getCause() instanceof ControlPlaneException cpe ? cpe : e; // its start failed: so does this
                }
                continue;
            }
            try {
                ProcessRecord created = lifecycle.createProcess(app.name(), null, null);
                if (tryReserve(created, limit)) {
                    return created;
                }
                continue; // filled by those that waited for it while it started: pick again
            } catch (ControlPlaneException e) {
                if (e.code() != Code.OVERLOADED) {
                    mine.completeExceptionally(e);
                    throw e;
                }
                // At the process limit: queue on the least loaded of those there are.
                ProcessRecord any = reserveLeastLoaded(app, Integer.MAX_VALUE, ProcessStatus.ACTIVE);
                if (any == null) {
                    any = reserveLeastLoaded(app, Integer.MAX_VALUE, ProcessStatus.ALLOCATING, ProcessStatus.SWAPPING_IN,
                            ProcessStatus.SWAPPING_OUT);
                }
                if (any == null) {
                    throw e;
                }
                ProcessRecord ready = any.status() == ProcessStatus.ACTIVE ? any : awaitReserved(any, attempt);
                if (ready != null) {
                    return ready;
                }
            } finally {
                creating.remove(app.name(), mine);
                mine.complete(null);
            }
        }
    }

    /**
     * Counts an invocation on the least loaded process of {@code app} in one of {@code statuses}
     * whose count is under {@code limit}, and returns it; null when there is none.
     */
    private ProcessRecord reserveLeastLoaded(ApplicationRecord app, int limit, ProcessStatus... statuses) {
        List<ProcessStatus> wanted = List.of(statuses);
        List<ProcessRecord> candidates = lifecycle.processes(app.name(), null).stream() // one registry read
                .filter(p -> wanted.contains(p.status()))
                .sorted(Comparator.comparingInt(this::load))
                .toList();
        for (ProcessRecord p : candidates) {
            if (tryReserve(p, limit)) {
                return p;
            }
        }
        return null;
    }

    /** Counts an invocation on {@code p} if fewer than {@code limit} are counted on it. */
    private boolean tryReserve(ProcessRecord p, int limit) {
        AtomicInteger n = counter(p);
        int now = n.get();
        while (now < limit) {
            if (n.compareAndSet(now, now + 1)) {
                return true;
            }
            now = n.get();
        }
        return false;
    }

    /**
     * Waits until a process counted on is ACTIVE (a SWAPPING_OUT one is swapped in again after);
     * null, its count given back, when it failed and another try is left, else its failure.
     */
    private ProcessRecord awaitReserved(ProcessRecord p, int attempt) {
        try {
            return lifecycle.awaitActive(p.application(), p.id());
        } catch (RuntimeException e) {
            counter(p).decrementAndGet();
            if (attempt >= 2 || !(e instanceof ControlPlaneException)) {
                throw e;
            }
            return null;
        }
    }

    private AtomicInteger counter(ProcessRecord p) {
        return inFlight.computeIfAbsent(p.key(), k -> new AtomicInteger());
    }

    private int load(ProcessRecord p) {
        AtomicInteger n = inFlight.get(p.key());
        return n == null ? 0 : n.get();
    }

    private ProcessClient clientFor(ProcessRecord p) {
        ProcessClient existing = clients.get(p.key());
        if (existing != null && existing.isOpen() && existing.goAway() == null) {
            return existing;
        }
        synchronized (clients) {
            existing = clients.get(p.key());
            if (existing != null && existing.isOpen() && existing.goAway() == null) {
                return existing;
            }
            if (existing != null) {
                opened.remove(existing);
                existing.close();
            }
            String token = lifecycle.issueToken(p.application(), p.id(), Duration.ofDays(1)).token();
            try {
                ProcessClient c = ProcessClient.builder()
                        .vertx(vertx)
                        .address(p.endpoint().host(), p.endpoint().port())
                        .application(p.application())
                        .token(token)
                        .clientInfo("praas-control-plane")
                        .connectTimeout(Duration.ofSeconds(5))
                        .connect();
                clients.put(p.key(), c);
                return c;
            } catch (PraasException e) {
                throw new ControlPlaneException(Code.PROCESS_UNAVAILABLE, "cannot reach process " + p.key() + " at "
                        + p.endpoint().host() + ":" + p.endpoint().port() + ": " + e.detail());
            }
        }
    }

    private static ControlPlaneException translate(ProcessRecord p, Throwable err) {
        if (!(err instanceof PraasException e)) {
            return new ControlPlaneException(Code.BAD_GATEWAY, "process " + p.key() + ": " + err);
        }
        Code code = switch (e.code()) {
            case UNKNOWN_FUNCTION, SESSION_NOT_FOUND -> Code.NOT_FOUND;
            case FUNCTION_FAILED -> Code.FUNCTION_FAILED;
            case TIMEOUT -> Code.TIMEOUT;
            case OVERLOADED -> Code.OVERLOADED;
            case PROCESS_UNAVAILABLE -> Code.PROCESS_UNAVAILABLE;
            case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
            case FRAME_TOO_LARGE -> Code.PAYLOAD_TOO_LARGE; // an input under this node's limit, over the process's
            case STATE_LIMIT_EXCEEDED -> Code.STATE_LIMIT_EXCEEDED;
            case UNAUTHENTICATED, FORBIDDEN -> Code.FORBIDDEN;
            default -> Code.BAD_GATEWAY;
        };
        String detail = e.code() == io.praas.protocol.ErrorCode.UNKNOWN ? e.detail() : e.code() + ": " + e.detail();
        return new ControlPlaneException(code, "process " + p.key() + ": " + detail);
    }

    /** Closes this node's connection to a process (it stopped or failed). */
    public void forget(String application, String processId) {
        ProcessClient c = clients.remove(ProcessRecord.key(application, processId));
        if (c != null) {
            opened.remove(c);
            c.close();
        }
    }

    @Override
    public void close() {
        clients.values().forEach(c -> {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.debug("closing a process connection: {}", e.toString());
            }
        });
        clients.clear();
    }
}
