package io.praas.process.session;

import io.praas.process.state.KeyValueStore;
import io.praas.process.state.StateBudget;
import io.praas.process.state.StateJournal;
import io.praas.codec.KryoCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** The sessions of one process: open, resume, close, and expiry of idle ones. */
public final class SessionRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);
    /** Longest session id a client may choose, in characters. */
    public static final int MAX_ID_LENGTH = 128;

    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final StateBudget budget;
    private final KryoCodec kryo;
    private final int maxSessions;
    private final java.util.concurrent.atomic.AtomicInteger slots = new java.util.concurrent.atomic.AtomicInteger();

    private volatile StateJournal journal = StateJournal.NONE;

    /** Records session changes, and the state changes of every session, in {@code journal} from now on. */
    public void journal(StateJournal journal) {
        this.journal = journal;
        for (Session s : sessions.values()) {
            s.state().journal(journal);
        }
    }

    public SessionRegistry(StateBudget budget, KryoCodec kryo, int maxSessions) {
        this.budget = budget;
        this.kryo = kryo;
        this.maxSessions = maxSessions;
    }

    /** The result of {@link #open}. */
    public record Opened(Session session, boolean resumed) {
    }

    /**
     * Opens a new session (empty id), resumes an existing one, or creates one with the given id.
     *
     * @throws IllegalArgumentException for an id that is too long or has control characters
     * @throws TooManySessionsException when the process holds its maximum of sessions
     */
    public Opened open(String id) {
        if (!id.isEmpty()) {
            checkId(id);
            Session existing = sessions.get(id);
            if (existing != null) {
                existing.touch();
                return new Opened(existing, true);
            }
        }
        String newId = id.isEmpty() ? UUID.randomUUID().toString() : id;
        boolean[] created = new boolean[1];
        Session session = sessions.computeIfAbsent(newId, k -> {
            // A slot is taken before the session exists, so concurrent opens never pass the maximum.
            if (slots.incrementAndGet() > maxSessions) {
                slots.decrementAndGet();
                throw new TooManySessionsException(maxSessions);
            }
            try {
                journal.sessionOpened(k);
            } catch (RuntimeException e) {
                slots.decrementAndGet(); // not opened: its slot is free again
                throw e;
            }
            created[0] = true;
            KeyValueStore state = new KeyValueStore(budget, kryo, k);
            state.journal(journal);
            return new Session(k, state);
        });
        if (created[0]) {
            LOG.debug("session {} opened", newId);
        }
        return new Opened(session, !created[0]);
    }

    /** The session, or null when it does not exist (never opened, closed or expired). */
    public Session get(String id) {
        return sessions.get(id);
    }

    /** Closes a session and drops its state; false when it did not exist. */
    public boolean close(String id) {
        return remove(id, null, false) == Closing.CLOSED;
    }

    /** What {@link #tryCloseUnlessSealed} did. */
    public enum Closing {
        CLOSED, NOT_FOUND,
        /** A write of its state is under way: nothing changed; {@link #closeUnlessSealed} waits for it. */
        BUSY,
        /** A swap-out's snapshot is being taken: nothing changed. */
        SEALED
    }

    /** As {@link #closeUnlessSealed}, without waiting for a write of the session's state under way. */
    public Closing tryCloseUnlessSealed(String id) {
        return closeUnlessSealed(id, true);
    }

    /**
     * As {@link #close}, unless the state is sealed (a swap-out's snapshot is being taken): then
     * SEALED, and nothing changes. Waits for a write of the session's state under way.
     */
    public Closing closeUnlessSealed(String id) {
        return closeUnlessSealed(id, false);
    }

    private Closing closeUnlessSealed(String id, boolean withoutWaiting) {
        if (!budget.tryBeginWrite()) {
            return Closing.SEALED;
        }
        try {
            return remove(id, null, withoutWaiting);
        } finally {
            budget.endWrite();
        }
    }

    /**
     * Removes the session (only if it is {@code expected}, when that is not null, and then only while
     * nothing of it runs or waits), journaling its
     * closing inside the map's update: an open of the same id that follows is journaled after it, in
     * the order the map saw them (a replay would otherwise close the new session).
     */
    private Closing remove(String id, Session expected, boolean withoutWaiting) {
        Session[] removed = new Session[1];
        boolean[] busy = new boolean[1];
        sessions.computeIfPresent(id, (k, s) -> {
            busy[0] = false; // (an update may call this again)
            if (expected != null && s != expected) {
                return s;
            }
            // The closing is journaled once the state's writes under way have ended (each is then
            // journaled before it, or refused); if the journal refuses it, the session stays.
            Runnable journalClosing = () -> journal.sessionClosed(k);
            if (expected != null) {
                if (!s.closeIfIdle(journalClosing)) {
                    return s; // an invocation started since the expiry looked: not idle after all
                }
            } else if (withoutWaiting) {
                if (!s.tryClose(journalClosing)) {
                    busy[0] = true;
                    return s;
                }
            } else {
                s.close(journalClosing);
            }
            removed[0] = s;
            return null;
        });
        if (busy[0]) {
            return Closing.BUSY;
        }
        if (removed[0] == null) {
            return Closing.NOT_FOUND;
        }
        slots.decrementAndGet();
        LOG.debug("session {} closed", id);
        return Closing.CLOSED;
    }


    /**
     * Closes sessions idle for longer than {@code idle} with nothing running; returns how many. While
     * the state is sealed (a swap-out) it closes none: the snapshot keeps them as they are.
     */
    public int expireIdle(Duration idle) {
        long now = System.nanoTime();
        int expired = 0;
        for (Session s : sessions.values()) {
            if (now - s.lastActiveNanos() <= idle.toNanos() || s.busy()) {
                continue;
            }
            if (!budget.tryBeginWrite()) {
                break;
            }
            try {
                if (remove(s.id(), s, false) == Closing.CLOSED) {
                    expired++;
                    LOG.info("session {} expired after {} idle", s.id(), idle);
                }
            } finally {
                budget.endWrite();
            }
        }
        return expired;
    }

    public int size() {
        return sessions.size();
    }

    public Collection<Session> all() {
        return sessions.values();
    }

    private static void checkId(String id) {
        if (id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException("session id longer than " + MAX_ID_LENGTH + " characters");
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                throw new IllegalArgumentException("session id contains a control character");
            }
        }
    }
}
