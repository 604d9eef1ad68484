package io.praas.protocol;

import java.util.Objects;

/**
 * The body of a frame: one record per message type of PROTOCOL.md.
 *
 * <pre>{@code
 * Buffer frame = FrameCodec.encode(7, new Message.Invoke("echo", "", 0, bytes));
 * }</pre>
 */
public sealed interface Message {

    /** The wire type byte. */
    int type();

    /** HELLO: the dialler's first frame. */
    record Hello(String application, String token, String peerId, String clientInfo) implements Message {
        public Hello {
            Objects.requireNonNull(application, "application");
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(peerId, "peerId");
            Objects.requireNonNull(clientInfo, "clientInfo");
        }

        @Override
        public int type() {
            return MessageType.HELLO;
        }
    }

    /** WELCOME: the process accepted the HELLO. */
    record Welcome(String processId, long maxFrameBytes, String serverInfo) implements Message {
        @Override
        public int type() {
            return MessageType.WELCOME;
        }
    }

    /** OK: an empty acknowledgement. */
    record Ok() implements Message {
        @Override
        public int type() {
            return MessageType.OK;
        }
    }

    /** OPEN_SESSION: empty id = new session; else resume it, or create it with that id. */
    record OpenSession(String sessionId) implements Message {
        @Override
        public int type() {
            return MessageType.OPEN_SESSION;
        }
    }

    /** SESSION: the answer to OPEN_SESSION. */
    record SessionOpened(String sessionId, boolean resumed) implements Message {
        @Override
        public int type() {
            return MessageType.SESSION;
        }
    }

    /** CLOSE_SESSION: drop a session and its state. */
    record CloseSession(String sessionId) implements Message {
        @Override
        public int type() {
            return MessageType.CLOSE_SESSION;
        }
    }

    /** INVOKE: run {@code function} with {@code input}; empty session id = no session. */
    record Invoke(String function, String sessionId, long timeoutMs, byte[] input) implements Message {
        @Override
        public int type() {
            return MessageType.INVOKE;
        }
    }

    /** RESULT: a function's output. */
    record Result(byte[] output) implements Message {
        @Override
        public int type() {
            return MessageType.RESULT;
        }
    }

    /** PING: answered by PONG with the same bytes. */
    record Ping(byte[] data) implements Message {
        @Override
        public int type() {
            return MessageType.PING;
        }
    }

    /** PONG. */
    record Pong(byte[] data) implements Message {
        @Override
        public int type() {
            return MessageType.PONG;
        }
    }

    /** MESSAGE: a peer process delivers {@code data} under {@code key} to the receiver's mailbox. */
    record PeerMessage(String fromProcess, String key, byte[] data) implements Message {
        @Override
        public int type() {
            return MessageType.MESSAGE;
        }
    }

    /** GOAWAY: the process is going away; finish and reconnect elsewhere. */
    record GoAway(GoAwayReason reason, String detail) implements Message {
        @Override
        public int type() {
            return MessageType.GOAWAY;
        }
    }

    /** ERROR: the request (or, with requestId 0, the connection) failed. */
    record Error(ErrorCode code, String message) implements Message {
        @Override
        public int type() {
            return MessageType.ERROR;
        }
    }

    /**
     * REGISTER: a process announces itself on its control channel; answered with OK or ERROR
     * (then close).
     */
    record Register(String application, String processId, String token, String dataHost, int dataPort,
                    String runtimeInfo) implements Message {
        @Override
        public int type() {
            return MessageType.REGISTER;
        }
    }

    /** HEARTBEAT: a process's periodic metrics on its control channel (requestId 0, no answer). */
    record Heartbeat(long invocations, long activeSessions, long stateBytes, long lastActivityEpochMs,
                     long inFlight) implements Message {
        @Override
        public int type() {
            return MessageType.HEARTBEAT;
        }
    }

    /**
     * SWAP_OUT: the control plane asks a process to swap out as snapshot generation {@code generation}.
     * With {@code ifIdleSinceEpochMs} over 0 (the downscaler's) only if the process has had no
     * invocation since then and runs none: else ERROR 19 (NOT_IDLE) and nothing happens.
     */
    record SwapOut(long generation, long drainTimeoutMs, long ifIdleSinceEpochMs) implements Message {
        /** The word in REGISTER's runtimeInfo of a process that takes {@code ifIdleSinceEpochMs}. */
        public static final String IF_IDLE_CAPABILITY = "swap-if-idle";

        /** An unconditional swap-out. */
        public SwapOut(long generation, long drainTimeoutMs) {
            this(generation, drainTimeoutMs, 0);
        }

        @Override
        public int type() {
            return MessageType.SWAP_OUT;
        }
    }

    /**
     * SWAPPED: the snapshot is committed; the process exits next. {@code inline} is empty, or a copy
     * of a small snapshot for the control plane to hand to the next swap-in (see {@code InlineSnapshot}
     * in the process module): the swap-in then does not have to read the store.
     */
    record Swapped(long generation, String manifestKey, long snapshotBytes, long stateBytes, long durationMs,
                   byte[] inline) implements Message {
        public Swapped {
            inline = inline == null ? new byte[0] : inline;
        }

        /** Without an inline copy. */
        public Swapped(long generation, String manifestKey, long snapshotBytes, long stateBytes, long durationMs) {
            this(generation, manifestKey, snapshotBytes, stateBytes, durationMs, new byte[0]);
        }

        @Override
        public int type() {
            return MessageType.SWAPPED;
        }
    }

    /**
     * RESTORE_FAILED: a process started to swap in could not restore its snapshot; sent instead of
     * REGISTER, answered with OK, then the process exits.
     */
    record RestoreFailed(String application, String processId, String token, String reason) implements Message {
        @Override
        public int type() {
            return MessageType.RESTORE_FAILED;
        }
    }

    /**
     * WORLD: the control plane tells a process about every process of its application (itself
     * included): sent after REGISTER's OK and again on every change, each time the whole list.
     * {@code version} grows; a process keeps the highest it has seen.
     */
    record World(long version, java.util.List<WorldEntry> processes) implements Message {
        public World {
            processes = java.util.List.copyOf(processes);
        }

        @Override
        public int type() {
            return MessageType.WORLD;
        }
    }

    /**
     * One process in a {@link World}: its id, status (a {@code ProcessStatus} name) and data-plane
     * endpoint (empty host and port 0 while it has none).
     */
    record WorldEntry(String processId, String status, String host, int port) {
    }

    /**
     * SWAP_IN: a process asks the control plane to swap in {@code processId} of its application (a
     * message is waiting for it); answered with OK once it is ACTIVE, or ERROR.
     */
    record SwapIn(String processId) implements Message {
        @Override
        public int type() {
            return MessageType.SWAP_IN;
        }
    }
}
