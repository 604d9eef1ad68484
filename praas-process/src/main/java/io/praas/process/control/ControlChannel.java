package io.praas.process.control;

import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.FrameParser;
import io.praas.protocol.Message;
import io.praas.protocol.ProtocolException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The process's channel to the control plane (docs/PROTOCOL.md, "Control channel"): it dials the
 * control plane, REGISTERs with its data-plane address, sends a HEARTBEAT with its metrics at a
 * fixed interval, takes the WORLD of its application whenever it changes, and asks for SWAP_IN of
 * a swapped-out peer that a message is waiting for. The control plane owns the process's lifecycle: when the channel is lost, the
 * process stops.
 */
public final class ControlChannel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlChannel.class);

    /**
     * Where and how to register.
     *
     * @param host              control plane's control-channel host
     * @param port              its port
     * @param token             the control token the control plane gave this process
     * @param advertiseHost     the data-plane host others should dial
     * @param heartbeatInterval how often to send metrics
     */
    public record Settings(String host, int port, String token, String advertiseHost, Duration heartbeatInterval) {
        /** Parses {@code host:port}. */
        public static Settings parse(String address, String token, String advertiseHost, Duration heartbeatInterval) {
            int colon = address.lastIndexOf(':');
            if (colon <= 0 || colon == address.length() - 1) {
                throw new IllegalArgumentException("control plane address must be host:port: " + address);
            }
            return new Settings(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)), token,
                    advertiseHost, heartbeatInterval);
        }
    }

    private final NetClient client;
    private final Vertx vertx;
    private volatile NetSocket socket;
    private volatile boolean closing;
    private long timerId = -1;
    private final java.util.concurrent.atomic.AtomicLong requestIds = new java.util.concurrent.atomic.AtomicLong(1);
    private final java.util.Map<Long, CompletableFuture<Message>> pending = new java.util.concurrent.ConcurrentHashMap<>();

    private ControlChannel(Vertx vertx, NetClient client) {
        this.vertx = vertx;
        this.client = client;
    }

    /**
     * A connection to the control plane being made: dialled as soon as the process has its event
     * loop, so that the TCP handshake overlaps loading the functions and restoring the state, and
     * the REGISTER goes out the moment the process is ready.
     */
    public static final class Dial {
        private final Vertx vertx;
        private final Settings settings;
        private final NetClient client;
        private final io.vertx.core.Future<NetSocket> connected;
        private volatile boolean closedEarly;

        private Dial(Vertx vertx, Settings settings) {
            this.vertx = vertx;
            this.settings = settings;
            this.client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
            io.vertx.core.Future<NetSocket> connecting;
            try {
                connecting = client.connect(settings.port(), settings.host());
            } catch (RuntimeException e) { // reported by register() as a failed connect
                connecting = io.vertx.core.Future.failedFuture(e);
            }
            this.connected = connecting;
            // Until register() takes the socket over: a close before it would otherwise go unseen.
            connected.onSuccess(s -> s.closeHandler(v -> closedEarly = true));
        }

        /** Gives up the connection (the process did not start). */
        public void abandon() {
            connected.onSuccess(NetSocket::close);
            client.close();
        }
    }

    /** Starts connecting to the control plane; {@link #register} completes the registration. */
    public static Dial dial(Vertx vertx, Settings settings) {
        return new Dial(vertx, settings);
    }

    /**
     * Registers over a connection {@link #dial dialled} earlier and starts heartbeats; returns once
     * the control plane accepted the process.
     *
     * @param metrics called for each heartbeat
     * @param onLost  called once if the channel closes while the process runs
     * @throws IllegalStateException when the control plane cannot be reached or refuses the process
     */
    public static ControlChannel register(Dial dial, String application, String processId,
                                          int dataPort, String runtimeInfo, Supplier<Message.Heartbeat> metrics,
                                          java.util.function.Function<Message, CompletableFuture<Message>> requests,
                                          java.util.function.Consumer<Message.World> onWorld,
                                          Runnable onSwapped, Runnable onLost) {
        Settings settings = dial.settings;
        Vertx vertx = dial.vertx;
        ControlChannel channel = new ControlChannel(vertx, dial.client);
        CompletableFuture<Void> registered = new CompletableFuture<>();
        dial.connected.onComplete(ar -> {
            if (ar.failed()) {
                registered.completeExceptionally(ar.cause());
                return;
            }
            NetSocket s = ar.result();
            channel.socket = s;
            s.handler(new FrameParser(FrameCodec.DEFAULT_MAX_FRAME_BYTES, (Buffer b) -> {
                Frame f;
                try {
                    f = FrameCodec.decode(b);
                } catch (ProtocolException e) {
                    LOG.warn("undecodable frame from the control plane: {}", e.getMessage());
                    return;
                }
                if (f.message() instanceof Message.World w) {
                    onWorld.accept(w);
                    return;
                }
                if (f.requestId() > 1 && (f.message() instanceof Message.Ok || f.message() instanceof Message.Error)) {
                    CompletableFuture<Message> answer = channel.pending.remove(f.requestId());
                    if (answer != null) {
                        answer.complete(f.message());
                    }
                    return;
                }
                if (f.message() instanceof Message.Ok && f.requestId() == 1) {
                    registered.complete(null);
                } else if (f.message() instanceof Message.SwapOut) {
                    long rid = f.requestId();
                    requests.apply(f.message()).whenComplete((answer, err) -> {
                        Message reply = err == null ? answer : new Message.Error(io.praas.protocol.ErrorCode.PROCESS_UNAVAILABLE,
                                String.valueOf(err.getMessage()));
                        if (reply instanceof Message.Swapped) {
                            channel.closing = true; // the process exits next: the closed channel is no failure
                            // Stop only once SWAPPED is written: the control plane must learn of the commit.
                            s.write(FrameCodec.encode(rid, reply)).onComplete(v -> onSwapped.run());
                        } else {
                            s.write(FrameCodec.encode(rid, reply));
                        }
                    });
                } else if (f.message() instanceof Message.Error e) {
                    registered.completeExceptionally(new IllegalStateException(
                            "control plane refused the registration: " + e.code() + " " + e.message()));
                }
            }, e -> s.close()));
            s.closeHandler(v -> {
                registered.completeExceptionally(new IllegalStateException("control channel closed"));
                channel.failPending();
                if (!channel.closing) {
                    LOG.error("process {}: control channel to {}:{} lost; stopping", processId, settings.host(),
                            settings.port());
                    onLost.run();
                }
            });
            s.write(FrameCodec.encode(1, new Message.Register(application, processId, settings.token(),
                    settings.advertiseHost(), dataPort, runtimeInfo)));
            if (dial.closedEarly) {
                registered.completeExceptionally(new IllegalStateException("the control plane closed the connection"));
            }
        });
        try {
            registered.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            channel.close();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("cannot register with the control plane at " + settings.host() + ":"
                    + settings.port() + ": " + cause.getMessage(), cause);
        }
        long interval = Math.max(50, settings.heartbeatInterval().toMillis());
        channel.timerId = vertx.setPeriodic(interval, id -> {
            NetSocket s = channel.socket;
            if (s != null && !channel.closing) {
                s.write(FrameCodec.encode(0, metrics.get()));
            }
        });
        LOG.info("process {} registered with the control plane at {}:{}", processId, settings.host(), settings.port());
        return channel;
    }

    /**
     * Tells the control plane this process could not restore its snapshot, then returns; the
     * process exits next.
     */
    public static void reportRestoreFailure(Vertx vertx, Settings settings, String application, String processId,
                                            String reason) {
        NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(10_000));
        CompletableFuture<Void> done = new CompletableFuture<>();
        client.connect(settings.port(), settings.host()).onComplete(ar -> {
            if (ar.failed()) {
                done.completeExceptionally(ar.cause());
                return;
            }
            NetSocket s = ar.result();
            s.handler(b -> done.complete(null));
            s.closeHandler(v -> done.complete(null));
            s.write(FrameCodec.encode(1, new Message.RestoreFailed(application, processId, settings.token(),
                    reason.length() > 16_000 ? reason.substring(0, 16_000) : reason)));
        });
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("could not report the failed restore to the control plane: {}", e.toString());
        } finally {
            client.close();
        }
    }

    /**
     * Sends a request to the control plane (SWAP_IN); completes with its OK or ERROR, or with an
     * ERROR PROCESS_UNAVAILABLE when the channel closes first.
     */
    public CompletableFuture<Message> request(Message message) {
        long id = requestIds.incrementAndGet();
        CompletableFuture<Message> answer = new CompletableFuture<>();
        pending.put(id, answer);
        NetSocket s = socket;
        if (s == null || closing) {
            pending.remove(id);
            answer.complete(new Message.Error(io.praas.protocol.ErrorCode.PROCESS_UNAVAILABLE, "no control channel"));
            return answer;
        }
        s.write(FrameCodec.encode(id, message));
        return answer;
    }

    private void failPending() {
        for (Long id : pending.keySet()) {
            CompletableFuture<Message> f = pending.remove(id);
            if (f != null) {
                f.complete(new Message.Error(io.praas.protocol.ErrorCode.PROCESS_UNAVAILABLE, "the control channel closed"));
            }
        }
    }

    /** Closes the channel on purpose (the process is stopping). */
    @Override
    public void close() {
        closing = true;
        failPending();
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        NetSocket s = socket;
        if (s != null) {
            s.close();
        }
        client.close();
    }

}
