package io.praas.process;

import io.praas.auth.DataPlaneToken;
import io.praas.codec.KryoCodec;
import io.praas.process.messaging.Mailbox;
import io.praas.process.messaging.Messaging;
import io.praas.process.messaging.World;
import io.praas.process.auth.HelloAuthenticator;
import io.praas.process.control.ControlChannel;
import io.praas.process.journal.Journal;
import io.praas.process.swap.SwapSettings;
import io.praas.process.swap.Swapper;
import io.praas.protocol.ErrorCode;
import io.praas.protocol.Message;
import io.praas.process.dataplane.DataPlane;
import io.praas.process.function.FunctionRegistry;
import io.praas.process.invocation.Invoker;
import io.praas.process.session.SessionRegistry;
import io.praas.process.state.KeyValueStore;
import io.praas.process.state.StateBudget;
import io.praas.protocol.GoAwayReason;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One PraaS process: loads the application's functions, serves the data plane, holds process and
 * session state.
 *
 * <pre>{@code
 * PraasProcess p = PraasProcess.start(ProcessConfig.defaults("demo", "p1", Path.of("app.jar")));
 * int port = p.port();
 * ...
 * p.stop(GoAwayReason.STOPPING);
 * }</pre>
 */
public final class PraasProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PraasProcess.class);
    /** How long a swap-out waits, after the drain, for state writes under way to end. */
    private static final Duration STATE_WRITE_WAIT = Duration.ofSeconds(5);
    public static final String VERSION = "praas-process/0.1";

    /** The Vert.x {@link #prestartVertx} started, until a process takes it. */
    private static final java.util.concurrent.atomic.AtomicReference<Vertx> PRESTARTED_VERTX =
            new java.util.concurrent.atomic.AtomicReference<>();

    private final ProcessConfig config;
    private final Vertx vertx;
    private final StateBudget budget;
    private final KeyValueStore processState;
    private final SessionRegistry sessions;
    private final Invoker invoker;
    private final DataPlane dataPlane;
    private final int port;
    private final Object stopLock = new Object();
    private final java.util.concurrent.CompletableFuture<Void> terminated = new java.util.concurrent.CompletableFuture<>();
    private volatile ControlChannel control;
    private String peerToken;
    private java.time.Instant peerTokenRenewAt;
    private boolean stopped;
    private boolean swapping;

    private final Swapper swapper;
    private final Journal journal;
    private final Mailbox mailbox;
    private final World world = new World();
    private final Messaging messaging;
    /** The control-plane connection dialled during the start, or null without a control plane. */
    private final CompletableFuture<ControlChannel.Dial> dial;

    private PraasProcess(ProcessConfig config, ControlChannel.Settings control, SwapSettings swap,
                         Path journalDirectory, long journalCompactBytes) {
        this.config = config;
        // First: Vert.x (with Netty; ready already in a JVM that started it ahead, prestartVertx)
        // and, for a swap-in, the snapshot's manifest come in the background while the functions load.
        this.swapper = swap == null ? null : new Swapper(config.application(), config.processId(), swap, Clock.systemUTC());
        Vertx prestarted = PRESTARTED_VERTX.getAndSet(null);
        CompletableFuture<Vertx> vertxStarting = prestarted != null ? CompletableFuture.completedFuture(prestarted)
                : CompletableFuture.supplyAsync(PraasProcess::newVertx, r -> {
                    Thread t = new Thread(r, "praas-vertx-start");
                    t.setDaemon(true);
                    t.start();
                });
        // The control plane is dialled as soon as there is an event loop; it hears REGISTER when
        // the process is ready.
        this.dial = control == null ? null : vertxStarting.thenApply(v -> ControlChannel.dial(v, control));
        FunctionRegistry functions;
        try {
            functions = FunctionRegistry.load(config.appJar());
        } catch (RuntimeException e) {
            closeWhenStarted(vertxStarting);
            throw e;
        }
        KryoCodec kryo = new KryoCodec(functions.classLoader());
        this.budget = new StateBudget(config.stateLimitBytes());
        this.processState = new KeyValueStore(budget, kryo);
        this.sessions = new SessionRegistry(budget, kryo, config.maxSessions());
        this.mailbox = new Mailbox(budget);
        this.invoker = new Invoker(functions, config.processId(), config.application(), processState,
                config.workers(), config.queueCapacity(), config.maxNestingDepth());
        HelloAuthenticator auth = new HelloAuthenticator(config.application(), config.processId(), config.secret(),
                config.dev(), Clock.systemUTC());
        this.dataPlane = new DataPlane(config.processId(), VERSION, config.maxFrameBytes(),
                config.defaultTimeout().toMillis(), config.maxTimeout().toMillis(), auth, sessions, invoker, mailbox);
        // Listening (a cold path in a new JVM) goes on while the state is restored; until the
        // process is ready the data plane refuses as not started (nobody has its address before it
        // registers, but a fixed port may be dialled).
        dataPlane.refuseUntilReady();
        CompletableFuture<Integer> listening = vertxStarting.thenCompose(v ->
                dataPlane.listen(v, config.host(), config.port()).toCompletionStage());
        Journal opened = null;
        budget.restoring(true);
        try {
            if (swap != null && swap.restoreManifest() != null) {
                swapper.restore(swap.restoreManifest(), processState, sessions, mailbox); // before it serves
            }
            if (journalDirectory != null) {
                opened = Journal.open(journalDirectory, journalCompactBytes);
                long replayed = opened.replay(new JournalReplay(processState, sessions, mailbox));
                processState.journal(opened);
                sessions.journal(opened);
                mailbox.journal(opened);
                LOG.info("process {}: journal {} replayed {} changes; every change is journaled before it is "
                        + "acknowledged", config.processId(), journalDirectory, replayed);
            }
            budget.restoring(false);
            if (budget.usedBytes() > budget.limitBytes()) {
                LOG.warn("process {}: restored {} bytes of state, over its limit of {}: writes that add bytes are "
                        + "refused until enough is freed", config.processId(), budget.usedBytes(), budget.limitBytes());
            }
        } catch (RuntimeException e) {
            if (swapper != null) {
                swapper.close();
            }
            if (opened != null) {
                opened.close();
            }
            invoker.close();
            // After the listen has been tried: closed first, Vert.x would not close a server bound later.
            listening.whenComplete((port, err) -> closeWhenStarted(vertxStarting));
            throw e;
        }
        this.journal = opened;
        this.vertx = vertxStarting.join();
        this.messaging = new Messaging(config.application(), config.processId(), mailbox, world,
                this::peerToken, this::requestSwapIn);
        messaging.sequencer(group -> processState.computeUnlimited(Messaging.RESERVED_KEY_PREFIX + "collective/" + group,
                        Long.class, n -> n == null ? 1L : n + 1),
                group -> processState.get(Messaging.RESERVED_KEY_PREFIX + "collective/" + group, Long.class).orElse(0L));
        invoker.messaging(messaging, kryo);
        try {
            this.port = listening.get(30, TimeUnit.SECONDS);
            dataPlane.ready();
        } catch (Exception e) {
            closeWhenStarted(vertxStarting);
            invoker.close();
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        long sweepMs = Math.max(100, Math.min(30_000, config.sessionIdleTimeout().toMillis() / 4));
        vertx.setPeriodic(sweepMs, id -> sessions.expireIdle(config.sessionIdleTimeout()));
    }

    /** The Vert.x of a process: one event loop (the data plane's), one worker. */
    private static Vertx newVertx() {
        return Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setPreferNativeTransport(true));
    }

    /**
     * Starts, ahead of time, the Vert.x that the next process started in this JVM takes (and closes
     * when it stops), instead of starting its own beside loading its functions (~10 ms in a warm JVM
     * on this project's machine, competing with the loading for the cores). For a JVM that will run
     * one process, not yet known: a standby of the local backend's pool. Returns it; a second call
     * before a process took it returns the same one.
     */
    public static Vertx prestartVertx() {
        synchronized (PRESTARTED_VERTX) {
            if (PRESTARTED_VERTX.get() == null) {
                PRESTARTED_VERTX.set(newVertx());
            }
            return PRESTARTED_VERTX.get();
        }
    }

    /** Closes the Vert.x {@link #prestartVertx} started (waiting up to 5 s) if no process has taken it. */
    public static void closePrestartedVertx() {
        Vertx unused = PRESTARTED_VERTX.getAndSet(null);
        if (unused != null) {
            try {
                unused.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("closing the pre-started Vert.x: {}", e.toString());
            }
        }
    }

    /** For a start that failed: once they are there, gives up the control-plane dial, then closes Vert.x. */
    private void closeWhenStarted(CompletableFuture<Vertx> vertxStarting) {
        (dial == null ? vertxStarting : dial.thenAccept(ControlChannel.Dial::abandon))
                .whenComplete((x, err) -> vertxStarting.thenAccept(Vertx::close));
    }

    /** Starts a process; it serves when this returns. */
    public static PraasProcess start(ProcessConfig config) {
        return start(config, null, null, null);
    }

    /**
     * Starts a process that registers with a control plane ({@code control} non-null) before it
     * returns; when its control channel is lost, the process stops.
     */
    public static PraasProcess start(ProcessConfig config, ControlChannel.Settings control, SwapSettings swap,
                                     Path journalDirectory) {
        return start(config, control, swap, journalDirectory, Journal.DEFAULT_COMPACT_BYTES);
    }

    /**
     * As {@link #start(ProcessConfig, ControlChannel.Settings, SwapSettings, Path)}, with the journal
     * compacted once it holds {@code journalCompactBytes} (0: never; see {@link Journal}).
     */
    public static PraasProcess start(ProcessConfig config, ControlChannel.Settings control, SwapSettings swap,
                                     Path journalDirectory, long journalCompactBytes) {
        PraasProcess p = new PraasProcess(config, control, swap, journalDirectory, journalCompactBytes);
        if (control != null) {
            try {
                p.control = ControlChannel.register(p.dial.join(), config.application(), config.processId(),
                        p.port, VERSION + " " + Message.SwapOut.IF_IDLE_CAPABILITY, p::heartbeat, p::onControlRequest,
                        p.world::update,
                        () -> new Thread(() -> p.stop(GoAwayReason.SWAPPING_OUT), "praas-swapped").start(),
                        () -> new Thread(() -> p.stop(GoAwayReason.STOPPING), "praas-control-lost").start());
            } catch (IllegalStateException e) {
                p.stop(GoAwayReason.STOPPING);
                throw e;
            }
        }
        if (p.swapper != null) {
            p.swapper.startClient(); // now that registration no longer competes with it for the cores
        }
        LOG.info("process {} of application {} listening on {}:{} with {} workers ({} transport){}", config.processId(),
                config.application(), config.host(), p.port, config.workers(),
                p.vertx.isNativeTransportEnabled() ? "epoll" : "NIO",
                config.dev() ? " -- DEV MODE: clients without a token are accepted" : "");
        return p;
    }

    private CompletableFuture<Message> onControlRequest(Message request) {
        if (request instanceof Message.SwapOut swap) {
            return CompletableFuture.supplyAsync(() -> swapOut(swap.generation(), Duration.ofMillis(swap.drainTimeoutMs()),
                    swap.ifIdleSinceEpochMs()), r -> new Thread(r, "praas-swap-out").start());
        }
        return CompletableFuture.completedFuture(new Message.Error(ErrorCode.UNKNOWN_TYPE, "not a control request"));
    }

    /**
     * Swaps out (PROTOCOL.md rule 7): GOAWAY, drain, snapshot of process state and sessions to
     * object storage, then the process stops. If the snapshot cannot be written the process serves
     * again and the answer is an ERROR; nothing is lost either way.
     */
    public Message swapOut(long generation, Duration drainTimeout) {
        return swapOut(generation, drainTimeout, 0);
    }

    /**
     * Swaps out as {@link #swapOut(long, Duration)}, but with {@code ifIdleSinceEpochMs} over 0 (the
     * downscaler's, which judged the process idle from heartbeats whose last activity was that) only
     * if no invocation runs and none has ended since: else ERROR 19 (NOT_IDLE), and nothing changes.
     */
    public Message swapOut(long generation, Duration drainTimeout, long ifIdleSinceEpochMs) {
        if (swapper == null) {
            return new Message.Error(ErrorCode.INVALID_ARGUMENT, "this process has no object store to swap to");
        }
        synchronized (stopLock) {
            if (stopped || swapping) {
                return new Message.Error(ErrorCode.PROCESS_UNAVAILABLE, "process " + config.processId() + " is stopping");
            }
            if (ifIdleSinceEpochMs > 0) {
                int running = invoker.inFlight();
                long last = invoker.lastActivityEpochMs();
                if (running > 0 || last > ifIdleSinceEpochMs) {
                    LOG.info("process {}: not idle ({} invocations running, the last ended at {}): no idle swap-out",
                            config.processId(), running, java.time.Instant.ofEpochMilli(last));
                    return new Message.Error(ErrorCode.NOT_IDLE, "process " + config.processId() + " is not idle: "
                            + running + " invocations running, the last one ended at "
                            + java.time.Instant.ofEpochMilli(last));
                }
            }
            swapping = true;
        }
        dataPlane.goAway(GoAwayReason.SWAPPING_OUT, "process " + config.processId() + " is swapping out");
        drain(drainTimeout.isZero() ? config.drainTimeout() : drainTimeout);
        mailbox.seal();
        try {
            // Invocations the drain gave up on may still run: from here on their writes throw, so the
            // snapshot holds exactly what was written before and nothing is written after it.
            if (!budget.seal("process " + config.processId() + " is swapping out: its state takes no more writes",
                    STATE_WRITE_WAIT)) {
                return serveAgain("a state update of an invocation still running after the drain did not end within "
                        + STATE_WRITE_WAIT.toSeconds() + " s");
            }
            Swapper.Result r = swapper.snapshot(generation, processState, sessions, mailbox, budget.usedBytes());
            if (journal != null) {
                try {
                    journal.truncate(); // everything it held is in the committed snapshot
                } catch (RuntimeException e) {
                    // Committed all the same: the answer must say so (serving again, the control plane
                    // would remove the committed generation). It removes the journal itself.
                    LOG.error("process {}: snapshot generation {} committed, but emptying the journal failed: {}",
                            config.processId(), generation, e.toString());
                }
            }
            // The process stops once the control channel has written SWAPPED (see ControlChannel).
            return new Message.Swapped(generation, r.manifestKey(), r.manifest().totalBytes(), budget.usedBytes(),
                    r.duration().toMillis(), r.inline());
        } catch (java.io.IOException | RuntimeException e) {
            return serveAgain(e.getMessage() != null ? e.getMessage() : e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return serveAgain("interrupted");
        } catch (Error e) { // out of memory while it copies or uploads a large state: still serve again
            return serveAgain(e.toString());
        }
    }

    /** A swap-out that did not commit: the process takes writes, messages and requests again. */
    private Message serveAgain(String why) {
        LOG.error("process {}: swap-out failed, serving again: {}", config.processId(), why);
        budget.unseal();
        mailbox.unseal();
        dataPlane.resume();
        synchronized (stopLock) {
            swapping = false; // last: a swap-out that begins now must not find this one's GOAWAY undone
        }
        return new Message.Error(ErrorCode.PROCESS_UNAVAILABLE, "swap-out failed: " + why);
    }

    private void drain(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (invoker.inFlight() > 0 && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(5));
        }
        int unfinished = invoker.inFlight();
        if (unfinished > 0) {
            LOG.warn("process {}: {} invocations did not finish within {}; failing them", config.processId(),
                    unfinished, timeout);
            dataPlane.failInFlight("process " + config.processId() + " went away before the invocation finished");
        }
    }

    /** Puts journaled changes back, in order, into stores that do not journal yet. */
    private record JournalReplay(KeyValueStore processState, SessionRegistry sessions, Mailbox mailbox)
            implements Journal.Replay {
        @Override
        public void mailboxPut(long seq, String from, String key, byte[] data) {
            mailbox.restore(seq, from, key, data);
        }

        @Override
        public void mailboxTake(long seq) {
            mailbox.restoreTake(seq);
        }

        @Override
        public void put(String session, String key, byte[] value) {
            KeyValueStore store = store(session);
            if (store != null) {
                store.putBytes(key, value);
            }
        }

        @Override
        public void delete(String session, String key) {
            KeyValueStore store = store(session);
            if (store != null) {
                store.delete(key);
            }
        }

        @Override
        public void sessionOpened(String session) {
            sessions.open(session);
        }

        @Override
        public void sessionClosed(String session) {
            sessions.close(session);
        }

        /**
         * The store a change was made to; null for a session that is closed at this point of the
         * replay (a write that was under way as it closed, journaled after its closing): the change
         * is dropped, as it was on the process, rather than opening the session again.
         */
        private KeyValueStore store(String session) {
            if (session.isEmpty()) {
                return processState;
            }
            io.praas.process.session.Session s = sessions.get(session);
            return s == null ? null : s.state();
        }
    }

    /** An application token for HELLO to peers, minted with the application's secret (empty in dev mode without one). */
    private String peerToken() {
        byte[] secret = config.secret();
        if (secret.length == 0) {
            return "";
        }
        synchronized (stopLock) {
            java.time.Instant now = java.time.Instant.now();
            if (peerToken == null || now.isAfter(peerTokenRenewAt)) {
                peerToken = DataPlaneToken.issue(secret, config.application(), "", now.plus(Duration.ofHours(2)));
                peerTokenRenewAt = now.plus(Duration.ofHours(1));
            }
            return peerToken;
        }
    }

    private CompletableFuture<Message> requestSwapIn(String processId) {
        ControlChannel c = control;
        if (c == null) {
            return CompletableFuture.completedFuture(new Message.Error(ErrorCode.PROCESS_UNAVAILABLE,
                    "process " + config.processId() + " runs without a control plane"));
        }
        return c.request(new Message.SwapIn(processId));
    }

    private Message.Heartbeat heartbeat() {
        return new Message.Heartbeat(invoker.completedInvocations(), sessions.size(), budget.usedBytes(),
                invoker.lastActivityEpochMs(), invoker.inFlight());
    }

    /** Completes when the process has stopped, for whatever reason. */
    public java.util.concurrent.CompletableFuture<Void> terminated() {
        return terminated;
    }

    public int port() {
        return port;
    }

    /** This process's Vert.x (tests). */
    Vertx vertx() {
        return vertx;
    }

    public ProcessConfig config() {
        return config;
    }

    /** Bytes of state held (process state plus every session's state). */
    public long stateBytes() {
        return budget.usedBytes();
    }

    /**
     * Stops gracefully (PROTOCOL.md rule 7): GOAWAY to every connection, new requests refused,
     * in-flight invocations finish within the drain timeout and are failed with PROCESS_UNAVAILABLE
     * after it, then every connection closes.
     */
    public void stop(GoAwayReason reason) {
        synchronized (stopLock) {
            if (stopped) {
                return;
            }
            stopped = true;
        }
        if (control != null) {
            control.close();
        }
        dataPlane.goAway(reason, "process " + config.processId() + " is " + reason.name().toLowerCase().replace('_', ' '));
        drain(config.drainTimeout());
        try {
            dataPlane.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("closing the data plane: {}", e.toString());
        }
        invoker.close();
        messaging.close();
        if (swapper != null) {
            swapper.close();
        }
        if (journal != null) {
            journal.close();
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("closing Vert.x: {}", e.toString());
        }
        LOG.info("process {} stopped ({})", config.processId(), reason);
        terminated.complete(null);
    }

    @Override
    public void close() {
        stop(GoAwayReason.STOPPING);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
