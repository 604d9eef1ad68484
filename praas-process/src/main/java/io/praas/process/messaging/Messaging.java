package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.client.ProcessStatus;
import io.praas.function.Peer;
import io.praas.function.ReceivedMessage;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A process's messaging: its mailbox, its world, and its connections to peers, which it opens on
 * first use (HELLO with an application token and its own id as peerId) and reuses.
 *
 * <p>Where a request goes depends on the receiver's status in the world: ACTIVE, straight to its
 * endpoint; SWAPPED_OUT, the control plane is asked to swap it in (SWAP_IN) and the request waits
 * until it is ACTIVE; ALLOCATING, SWAPPING_OUT or SWAPPING_IN, it waits for the next world;
 * STOPPED, FAILED or DELETED, it fails with PROCESS_UNAVAILABLE; unknown, with INVALID_ARGUMENT.
 * A receiver that refuses a MESSAGE as not started (it is swapping out) or whose connection drops
 * is tried again until the caller's deadline, so an accepted send always ends in a stored message.
 *
 * <pre>{@code
 * Messaging m = new Messaging("shop", "p-1", mailbox, world, tokens, swapIn);
 * m.send("p-2", "orders", bytes, deadlineNanos).join();
 * }</pre>
 */
public final class Messaging implements Transport, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Messaging.class);
    /** Keys starting with this character are the collectives'. */
    public static final char RESERVED_KEY_PREFIX = '\u0001';
    public static final int MAX_KEY_CHARS = 1024;
    private static final long WAIT_SLICE_MS = 200;

    private final String application;
    private final String processId;
    private final java.util.concurrent.ExecutorService connector = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "praas-peer-connect");
        t.setDaemon(true);
        return t;
    });
    private final Mailbox mailbox;
    private final World world;
    private final Supplier<String> token;
    private final Function<String, CompletableFuture<Message>> swapIn;
    private final Map<String, CompletableFuture<PeerLink>> links = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Message>> swapInsInFlight = new ConcurrentHashMap<>();
    /** Per receiver, the message sent to it last, completed once it and all before it have ended (see {@link #request}). */
    private final Map<String, CompletableFuture<Void>> lastSent = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> collectiveSequences = new ConcurrentHashMap<>();
    private volatile java.util.function.ToLongFunction<String> sequencer =
            g -> collectiveSequences.computeIfAbsent(g, x -> new AtomicLong()).incrementAndGet();
    private volatile java.util.function.ToLongFunction<String> lastSequence =
            g -> collectiveSequences.computeIfAbsent(g, x -> new AtomicLong()).get();
    private final Executor retries = CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS);
    private volatile boolean closed;

    /**
     * @param token  an application-scoped data-plane token for HELLO (empty in dev mode)
     * @param swapIn asks the control plane to swap a process in; null without a control plane
     */
    public Messaging(String application, String processId, Mailbox mailbox, World world,
                     Supplier<String> token, Function<String, CompletableFuture<Message>> swapIn) {
        this.application = application;
        this.processId = processId;
        this.mailbox = mailbox;
        this.world = world;
        this.token = token;
        this.swapIn = swapIn;
        world.onUpdate(this::worldChanged);
    }

    /** The processes of this application, as the control plane last reported them. */
    public List<Peer> peers() {
        return world.all();
    }

    @Override
    public String self() {
        return processId;
    }

    @Override
    public void discard(java.util.function.Predicate<String> drop) {
        mailbox.dropKeys(drop);
    }

    /** The next sequence number of collective operations over the group {@code groupId}. */
    @Override
    public long nextCollective(String groupId) {
        return sequencer.applyAsLong(groupId);
    }

    @Override
    public long upcomingCollective(String groupId) {
        return lastSequence.applyAsLong(groupId) + 1;
    }

    /**
     * Where the collectives' sequence numbers live: the process keeps them in its process state, so
     * they go through swaps and the journal with it (a group whose member swapped out between two
     * operations stays in step). Without one they are in memory. {@code next} takes a group's next
     * number, {@code last} reads the one taken last (0 for none).
     */
    public void sequencer(java.util.function.ToLongFunction<String> next, java.util.function.ToLongFunction<String> last) {
        this.sequencer = next;
        this.lastSequence = last;
    }

    /** Checks a user's message key. */
    public static void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new PraasException(ErrorCode.INVALID_ARGUMENT, "a message key must not be empty");
        }
        if (key.length() > MAX_KEY_CHARS) {
            throw new PraasException(ErrorCode.INVALID_ARGUMENT, "a message key has at most " + MAX_KEY_CHARS
                    + " characters: " + key.length());
        }
        if (key.charAt(0) == RESERVED_KEY_PREFIX) {
            throw new PraasException(ErrorCode.INVALID_ARGUMENT, "keys starting with U+0001 are reserved for collectives");
        }
    }

    /** Sends a message (the key is not checked: collectives use reserved keys). */
    @Override
    public CompletableFuture<Void> send(String target, String key, byte[] data, long deadlineNanos) {
        if (target == null || key == null || data == null) {
            return failed(ErrorCode.INVALID_ARGUMENT, "a message needs a process, a key and data (empty, not null)");
        }
        if (target.equals(processId)) {
            try {
                mailbox.deliver(processId, key, data);
                return CompletableFuture.completedFuture(null);
            } catch (PraasException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Message.PeerMessage m = new Message.PeerMessage(processId, key, data);
        return request(target, m, deadlineNanos, true).thenApply(f -> {
            if (f.message() instanceof Message.Error e) {
                throw new PraasException(e.code(), "process " + target + " did not take the message: " + e.message());
            }
            return null;
        });
    }

    /** Invokes a function of another process (no session); the answer's bytes or a PraasException. */
    public CompletableFuture<byte[]> invoke(String target, String function, byte[] input, long deadlineNanos) {
        long timeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        Message.Invoke m = new Message.Invoke(function, "", Math.min(timeoutMs, 0xFFFF_FFFFL), input);
        return request(target, m, deadlineNanos, false).thenApply(f -> {
            if (f.message() instanceof Message.Result r) {
                return r.output();
            }
            if (f.message() instanceof Message.Error e) {
                throw new PraasException(e.code(), e.message());
            }
            throw new PraasException(ErrorCode.UNKNOWN, "unexpected answer " + f.message().getClass().getSimpleName());
        });
    }

    /** Takes a message out of this process's mailbox (see {@link Mailbox#receive}). */
    @Override
    public CompletableFuture<ReceivedMessage> receive(String from, String key, String abortKey, long deadlineNanos) {
        if (!Mailbox.ANY.equals(from) && !from.equals(processId)) {
            Peer p = world.get(from);
            if (world.known() && (p == null || gone(p.status()))) {
                ReceivedMessage sent = mailbox.poll(from, key, abortKey); // before it went
                if (sent != null) {
                    return CompletableFuture.completedFuture(sent);
                }
                return CompletableFuture.failedFuture(new PraasException(ErrorCode.PROCESS_UNAVAILABLE,
                        p == null ? "no process '" + from + "' in application '" + application + "'"
                                : "process " + from + " is " + p.status() + ": it sends nothing more"));
            }
        }
        return mailbox.receive(from, key, abortKey, deadlineNanos - System.nanoTime());
    }

    private static boolean gone(ProcessStatus s) {
        return s == ProcessStatus.STOPPED || s == ProcessStatus.FAILED || s == ProcessStatus.DELETED;
    }

    private CompletableFuture<Frame> request(String target, Message m, long deadlineNanos, boolean resendable) {
        if (!(m instanceof Message.PeerMessage)) {
            return attempt(target, m, deadlineNanos, resendable, false);
        }
        // Messages to one receiver go in the order they were sent, also while its link connects, it
        // swaps in, or a message is sent again after its link failed (each of those waits would
        // otherwise resume in any order): each message waits until the one sent before it, and every
        // one before that, has ended (stored, or failed for good), or its own time is up.
        CompletableFuture<Void> released = new CompletableFuture<>();
        CompletableFuture<Void> before = lastSent.put(target, released);
        CompletableFuture<Frame> answer;
        if (before == null || before.isDone()) {
            answer = attempt(target, m, deadlineNanos, resendable, false);
        } else {
            long left = Math.max(0, deadlineNanos - System.nanoTime());
            answer = before.copy().completeOnTimeout(null, left, TimeUnit.NANOSECONDS)
                    .thenComposeAsync(x -> attempt(target, m, deadlineNanos, resendable, false), connector);
        }
        // One that gave up waiting (its deadline) still releases the next only after those before it.
        CompletableFuture<?> ended = answer.handle((f, e) -> null);
        (before == null ? ended : CompletableFuture.allOf(ended, before)).whenComplete((x, e) -> {
            released.complete(null);
            lastSent.remove(target, released);
        });
        return answer;
    }

    /** One try at a request. */
    private CompletableFuture<Frame> attempt(String target, Message m, long deadline, boolean resendable,
                                             boolean swapInAsked) {
        if (closed) {
            return failed(ErrorCode.PROCESS_UNAVAILABLE, "process " + processId + " is stopping");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return failed(ErrorCode.TIMEOUT, "process " + target + " did not answer within the time left");
        }
        Peer p = world.get(target);
        if (p == null) {
            return world.known()
                    ? failed(ErrorCode.INVALID_ARGUMENT, "no process '" + target + "' in application '" + application + "'")
                    : failed(ErrorCode.PROCESS_UNAVAILABLE, "process " + processId + " has no world: it runs without "
                            + "a control plane (or has not heard from it yet), so it cannot reach process " + target);
        }
        switch (p.status()) {
            case ACTIVE -> {
                if (p.host().isEmpty() || p.port() == 0) {
                    return waitAndRetry(target, m, deadline, resendable, false);
                }
                return link(p).thenCompose(link -> send(link, m, deadline)).handle((f, err) -> {
                    if (err == null && !PeerLink.notStarted(f)) {
                        return CompletableFuture.completedFuture(f);
                    }
                    Throwable cause = unwrap(err);
                    if (cause instanceof PraasException pe && pe.code() != ErrorCode.PROCESS_UNAVAILABLE) {
                        return CompletableFuture.<Frame>failedFuture(pe);
                    }
                    if (cause instanceof TimeoutException) {
                        return CompletableFuture.<Frame>failedFuture(new PraasException(ErrorCode.TIMEOUT,
                                "process " + target + " did not answer within the time left"));
                    }
                    boolean mayHaveRun = cause instanceof PeerLink.LinkClosedException lc && lc.written;
                    if (mayHaveRun && !resendable) {
                        return CompletableFuture.<Frame>failedFuture(new PraasException(ErrorCode.PROCESS_UNAVAILABLE,
                                "the connection to process " + target + " closed before it answered: "
                                        + cause.getMessage()));
                    }
                    // Refused before it started, or the connection failed: the receiver is moving
                    // (and may swap out again, so a later SWAPPED_OUT asks for a swap-in again).
                    return waitAndRetry(target, m, deadline, resendable, false);
                }).thenCompose(f -> f);
            }
            case SWAPPED_OUT -> {
                if (swapIn == null) {
                    return failed(ErrorCode.PROCESS_UNAVAILABLE, "process " + target + " is swapped out");
                }
                if (!swapInAsked) {
                    CompletableFuture<Message> asked = swapInsInFlight.get(target);
                    if (asked == null) {
                        CompletableFuture<Message> mine = new CompletableFuture<>();
                        asked = swapInsInFlight.putIfAbsent(target, mine);
                        if (asked == null) {
                            asked = mine;
                            LOG.info("process {}: asking the control plane to swap in process {} for a request",
                                    processId, target);
                            swapIn.apply(target).orTimeout(15, TimeUnit.MINUTES).whenComplete((r, e) -> {
                                swapInsInFlight.remove(target, mine);
                                if (e != null) {
                                    mine.completeExceptionally(e);
                                } else {
                                    mine.complete(r);
                                }
                            });
                        }
                    }
                    // Not past this request's deadline, and not on the thread that completed the
                    // answer (the control channel's event loop): a send may block on a socket.
                    long leftNanos = Math.max(1, deadline - System.nanoTime());
                    return asked.copy().orTimeout(leftNanos, TimeUnit.NANOSECONDS).handleAsync((answer, err) -> {
                        if (err != null) {
                            return unwrap(err) instanceof TimeoutException
                                    ? CompletableFuture.<Frame>failedFuture(new PraasException(ErrorCode.TIMEOUT,
                                            "process " + target + " is swapped out and was not swapped in within the time left"))
                                    : CompletableFuture.<Frame>failedFuture(unwrap(err));
                        }
                        if (answer instanceof Message.Error e) {
                            return CompletableFuture.<Frame>failedFuture(new PraasException(e.code(),
                                    "process " + target + " is swapped out and could not be swapped in: " + e.message()));
                        }
                        return attempt(target, m, deadline, resendable, true);
                    }, connector).thenCompose(f -> f);
                }
                return waitAndRetry(target, m, deadline, resendable, swapInAsked);
            }
            case ALLOCATING, SWAPPING_OUT, SWAPPING_IN -> {
                return waitAndRetry(target, m, deadline, resendable, false);
            }
            default -> {
                return failed(ErrorCode.PROCESS_UNAVAILABLE, "process " + target + " is " + p.status());
            }
        }
    }

    private CompletableFuture<Frame> send(PeerLink link, Message m, long deadline) {
        // Over the peer's limit the peer would close the link, failing everything else on it.
        if (m instanceof Message.PeerMessage pm) {
            long size = FrameCodec.HEADER_BYTES + 4L + pm.fromProcess().length() * 3L + pm.key().length() * 3L
                    + pm.data().length;
            if (size > link.maxFrameBytes()) {
                return failed(ErrorCode.INVALID_ARGUMENT, "a message of " + pm.data().length
                        + " bytes does not fit process " + link.processId + "'s frame limit of " + link.maxFrameBytes());
            }
        } else if (m instanceof Message.Invoke inv) {
            long size = FrameCodec.HEADER_BYTES + 8L + inv.function().length() * 3L + inv.input().length;
            if (size > link.maxFrameBytes()) {
                return failed(ErrorCode.INVALID_ARGUMENT, "an input of " + inv.input().length
                        + " bytes does not fit process " + link.processId + "'s frame limit of " + link.maxFrameBytes());
            }
        }
        return link.request(m, deadline);
    }

    private CompletableFuture<Frame> waitAndRetry(String target, Message m, long deadline, boolean resendable,
                                                  boolean swapInAsked) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) {
            return failed(ErrorCode.TIMEOUT, "process " + target + " did not become reachable within the time left"
                    + describe(target));
        }
        CompletableFuture<Object> change = CompletableFuture.anyOf(world.nextChange(),
                CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(Math.min(leftMs, WAIT_SLICE_MS),
                        TimeUnit.MILLISECONDS)));
        return change.thenComposeAsync(x -> attempt(target, m, deadline, resendable, swapInAsked), retries);
    }

    private String describe(String target) {
        Peer p = world.get(target);
        return p == null ? "" : " (it is " + p.status() + ")";
    }

    private CompletableFuture<PeerLink> link(Peer p) {
        CompletableFuture<PeerLink> existing = links.get(p.processId());
        if (existing != null) {
            PeerLink l = existing.getNow(null);
            boolean stale = existing.isCompletedExceptionally()
                    || (l != null && (!l.usable() || !l.host.equals(p.host()) || l.port != p.port()));
            if (!stale) {
                return existing;
            }
            links.remove(p.processId(), existing);
        }
        return links.computeIfAbsent(p.processId(), id -> PeerLink.connect(connector, id, p.host(), p.port(),
                new Message.Hello(application, token.get(), processId, "praas-peer/" + processId)));
    }

    private void worldChanged(World w) {
        for (Map.Entry<String, CompletableFuture<PeerLink>> e : links.entrySet()) {
            Peer p = w.get(e.getKey());
            PeerLink l = e.getValue().getNow(null);
            // Closed when the peer left, ended or restarts (ALLOCATING), or serves elsewhere. One that
            // swaps keeps its link until it has answered what it took (it closes it as it exits; its
            // GOAWAY keeps new requests off it): closing it here would lose those acknowledgements,
            // and the messages would be sent, and stored, twice.
            boolean ended = p == null || gone(p.status()) || p.status() == ProcessStatus.ALLOCATING;
            boolean elsewhere = !ended && p.status() == ProcessStatus.ACTIVE
                    && l != null && (!l.host.equals(p.host()) || l.port != p.port());
            if (ended || elsewhere) {
                if (links.remove(e.getKey(), e.getValue()) && l != null) {
                    l.close();
                }
            }
        }
        // Receives waiting on a process that failed, stopped or left the application would wait in vain.
        mailbox.failWaitersFrom(id -> {
            Peer p = w.get(id);
            return !id.equals(processId) && (p == null || gone(p.status()));
        }, id -> {
            Peer p = w.get(id);
            return p == null ? "process " + id + " is no longer in application '" + application + "'"
                    : "process " + id + " is " + p.status() + ": it sends nothing more";
        });
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static <T> CompletableFuture<T> failed(ErrorCode code, String message) {
        return CompletableFuture.failedFuture(new PraasException(code, message));
    }

    @Override
    public void close() {
        closed = true;
        for (CompletableFuture<PeerLink> f : links.values()) {
            f.thenAccept(PeerLink::close);
        }
        links.clear();
        connector.shutdownNow();
    }
}
