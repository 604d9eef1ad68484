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
 * spare capacity; else a new one up to the application's limit; else the least loaded) and
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
    /**
     * Sessions this node has opened (or is opening) on each connection, by id (a REST caller cannot
     * send OPEN_SESSION).
     */
    private final Map<ProcessClient, Map<String, CompletableFuture<?>>> opened = new ConcurrentHashMap<>();

    public InvocationRouter(Vertx vertx, ProcessLifecycle lifecycle) {
        this.vertx = vertx;
        this.lifecycle = lifecycle;
    }

    /**
     * Routes one invocation. Blocks while it picks (and perhaps allocates) a process, then returns a
     * future of the result.
     */
    public CompletableFuture<Routed> invoke(String application, String function, String process, String session,
                                            byte[] input, Duration timeout) {
        ApplicationRecord app = lifecycle.application(application);
        if (function == null || function.isEmpty()) {
            throw ControlPlaneException.invalid("function name must not be empty");
        }
        if (session != null && process == null) {
            throw ControlPlaneException.invalid("a session lives on one process: give 'process' with 'session'");
        }
        ProcessRecord target = process != null ? sticky(application, process) : pick(app);
        ProcessClient client = clientFor(target);
        AtomicInteger counter = inFlight.computeIfAbsent(target.key(), k -> new AtomicInteger());
        counter.incrementAndGet();
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
            result.completeExceptionally(translate(target, cause));
        });
        return result;
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

    private ProcessRecord pick(ApplicationRecord app) {
        int limit = app.limits().maxConcurrencyPerProcess();
        List<ProcessRecord> active = lifecycle.processes(app.name(), ProcessStatus.ACTIVE).stream()
                .sorted(Comparator.comparingInt(this::load))
                .toList();
        if (!active.isEmpty() && load(active.get(0)) < limit) {
            return active.get(0);
        }
        try {
            return lifecycle.createProcess(app.name(), null, null);
        } catch (ControlPlaneException e) {
            if (e.code() == Code.OVERLOADED && !active.isEmpty()) {
                return active.get(0); // at the process limit: queue on the least loaded
            }
            throw e;
        }
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
            case INVALID_ARGUMENT, FRAME_TOO_LARGE -> Code.INVALID_ARGUMENT;
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
