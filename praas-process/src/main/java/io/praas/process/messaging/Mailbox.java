package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.function.ReceivedMessage;
import io.praas.process.Deadlines;
import io.praas.process.state.StateBudget;
import io.praas.protocol.ErrorCode;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A process's mailbox: messages from peer processes, by key, in arrival order, separate from
 * process state but counted against the same state limit. A receive takes the oldest message under
 * its key from its sender (or any sender), or waits for one. Thread-safe.
 *
 * <pre>{@code
 * Mailbox box = new Mailbox(budget);
 * box.deliver("p-1", "task", bytes);                       // stored (journaled first, if journaling)
 * ReceivedMessage m = box.receive(Mailbox.ANY, "task", null, TimeUnit.SECONDS.toNanos(5)).get();
 * }</pre>
 */
public final class Mailbox {
    /** Matches messages from any sender. */
    public static final String ANY = "*";
    /** Bytes a stored message costs beyond its data, key and sender (entry, deque slot, record). */
    static final int OVERHEAD_BYTES = 64;


    /** Where mailbox changes are recorded before a delivery is acknowledged (durability "journal"). */
    public interface Journal {
        Journal NONE = new Journal() {
            @Override
            public void mailboxPut(long seq, String from, String key, byte[] data) {
            }

            @Override
            public void mailboxTake(long seq) {
            }
        };

        void mailboxPut(long seq, String from, String key, byte[] data);

        void mailboxTake(long seq);
    }

    /** A stored message; {@code seq} orders all messages of the mailbox. */
    public record Stored(long seq, String from, String key, byte[] data) {
        long cost() {
            return cost(from, key, data);
        }

        static long cost(String from, String key, byte[] data) {
            return (long) data.length + from.length() * 2L + key.length() * 2L + OVERHEAD_BYTES;
        }
    }

    private final StateBudget budget;
    private final Map<String, ArrayDeque<Stored>> byKey = new HashMap<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private long nextSeq = 1;
    private int size;
    private volatile Journal journal = Journal.NONE;
    private boolean sealed;

    public Mailbox(StateBudget budget) {
        this.budget = budget;
    }

    /** Records every later change in {@code journal}. */
    public void journal(Journal journal) {
        this.journal = journal;
    }

    /**
     * Stores a message (or hands it straight to a waiting receive).
     *
     * @throws PraasException STATE_LIMIT_EXCEEDED when the process's state limit has no room for it
     */
    public void deliver(String from, String key, byte[] data) {
        Waiter handed;
        Stored stored;
        synchronized (this) {
            if (sealed) {
                throw new PraasException(ErrorCode.PROCESS_UNAVAILABLE, "the process is swapping out; "
                        + "the message was not stored");
            }
            long cost = Stored.cost(from, key, data);
            try {
                budget.adjust(cost);
            } catch (io.praas.function.StateLimitExceededException e) {
                throw new PraasException(ErrorCode.STATE_LIMIT_EXCEEDED, "the mailbox of this process is full: "
                        + e.getMessage());
            }
            stored = new Stored(nextSeq++, from, key, data);
            try {
                journal.mailboxPut(stored.seq(), from, key, data);
            } catch (RuntimeException e) {
                budget.adjust(-cost); // not stored: its bytes are not taken
                throw e;
            }
            handed = handOrStore(stored);
        }
        hand(handed, stored);
    }

    /**
     * Gives a stored (journaled, budgeted) message to the first waiting receive that matches, or
     * keeps it at its place in arrival order; the waiter it was given to, or null. Holds the lock.
     */
    private Waiter handOrStore(Stored s) {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.matches(s.from(), s.key()) && w.claim()) {
                it.remove();
                journal.mailboxTake(s.seq());
                budget.adjust(-s.cost());
                return w;
            }
        }
        insertInOrder(s);
        size++;
        return null;
    }

    /** Completes {@code w}'s receive with {@code s}; if its caller completed or cancelled it first, the message stays. */
    private void hand(Waiter w, Stored s) {
        if (w != null && !w.future.complete(new ReceivedMessage(s.from(), s.key(), s.data()))) {
            requeue(s);
        }
    }

    /** Puts a message taken for a receive that no longer wanted it back, at its place in arrival order. */
    private void requeue(Stored s) {
        Waiter handed;
        synchronized (this) {
            budget.force(s.cost());
            journal.mailboxPut(s.seq(), s.from(), s.key(), s.data());
            handed = handOrStore(s);
        }
        hand(handed, s);
    }

    /**
     * Takes the oldest message under {@code key} from {@code from} ({@link #ANY} for any sender), or
     * under {@code abortKey} from any sender when that is not null, waiting up to
     * {@code timeoutNanos}. The future fails with a PraasException TIMEOUT when none came.
     */
    public CompletableFuture<ReceivedMessage> receive(String from, String key, String abortKey, long timeoutNanos) {
        Waiter w;
        synchronized (this) {
            if (sealed) {
                return CompletableFuture.failedFuture(new PraasException(ErrorCode.PROCESS_UNAVAILABLE,
                        "the process is swapping out; its messages go with it"));
            }
            ReceivedMessage found = takeMatching(from, key, abortKey);
            if (found != null) {
                return CompletableFuture.completedFuture(found);
            }
            w = new Waiter(from, key, abortKey);
            waiters.add(w);
        }
        long ms = Math.max(0, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        w.deadline = System.nanoTime() + Math.max(0, timeoutNanos);
        w.onExpiry = () -> fail(w, new PraasException(ErrorCode.TIMEOUT, "no message under key '" + key + "'"
                + (ANY.equals(from) ? "" : " from process " + from) + " within " + ms + " ms"));
        Deadlines.watch(w);
        if (w.done.get()) {
            Deadlines.forget(w); // a delivery came between adding it and watching it
        }
        return w.future;
    }

    /**
     * Takes the oldest stored message as {@link #receive} would, without waiting: null when none
     * matches (or the mailbox is sealed).
     */
    public synchronized ReceivedMessage poll(String from, String key, String abortKey) {
        return sealed ? null : takeMatching(from, key, abortKey);
    }

    /** The oldest message a receive of these arguments matches, taken out; null when there is none. Holds the lock. */
    private ReceivedMessage takeMatching(String from, String key, String abortKey) {
        Stored found = take(from, key);
        if (found == null && abortKey != null) {
            found = take(ANY, abortKey);
        }
        return found == null ? null : new ReceivedMessage(found.from(), found.key(), found.data());
    }

    /** Fails every receive waiting for a message from one of {@code senders}: they will not send it. */
    public void failWaitersFrom(java.util.function.Predicate<String> senderGone,
                                java.util.function.Function<String, String> why) {
        List<Waiter> failed = new ArrayList<>();
        synchronized (this) {
            for (Waiter w : waiters) {
                if (!ANY.equals(w.from) && senderGone.test(w.from)) {
                    failed.add(w);
                }
            }
        }
        for (Waiter w : failed) {
            fail(w, new PraasException(ErrorCode.PROCESS_UNAVAILABLE, why.apply(w.from)));
        }
    }

    private void fail(Waiter w, PraasException e) {
        if (w.claim()) {
            synchronized (this) {
                waiters.remove(w);
            }
            w.future.completeExceptionally(e);
        }
    }

    private Stored take(String from, String key) {
        ArrayDeque<Stored> q = byKey.get(key);
        if (q == null) {
            return null;
        }
        for (Iterator<Stored> it = q.iterator(); it.hasNext(); ) {
            Stored s = it.next();
            if (ANY.equals(from) || s.from().equals(from)) {
                it.remove();
                if (q.isEmpty()) {
                    byKey.remove(key);
                }
                size--;
                journal.mailboxTake(s.seq());
                budget.adjust(-s.cost());
                return s;
            }
        }
        return null;
    }

    /**
     * Removes every stored message whose key {@code drop} accepts; returns how many. Sealed, it
     * removes none: what it holds is what the swap snapshot saves.
     */
    public synchronized int dropKeys(java.util.function.Predicate<String> drop) {
        if (sealed) {
            return 0;
        }
        int n = 0;
        for (Iterator<Map.Entry<String, ArrayDeque<Stored>>> it = byKey.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, ArrayDeque<Stored>> e = it.next();
            if (drop.test(e.getKey())) {
                for (Stored s : e.getValue()) {
                    journal.mailboxTake(s.seq());
                    budget.adjust(-s.cost());
                    n++;
                }
                size -= e.getValue().size();
                it.remove();
            }
        }
        return n;
    }

    /**
     * Takes no more deliveries (they fail with PROCESS_UNAVAILABLE, so senders try again after the
     * swap) and gives out no more messages (a function the drain gave up on cannot take one the
     * snapshot then misses): what it holds now is what the snapshot saves.
     */
    public void seal() {
        List<Waiter> waiting;
        synchronized (this) {
            sealed = true;
            waiting = new ArrayList<>(waiters);
        }
        for (Waiter w : waiting) {
            fail(w, new PraasException(ErrorCode.PROCESS_UNAVAILABLE, "the process is swapping out"));
        }
    }

    /** Takes deliveries again (a swap-out failed). */
    public synchronized void unseal() {
        sealed = false;
    }

    /** Messages stored (not counting those handed to waiting receives). */
    public synchronized int size() {
        return size;
    }

    /** Every stored message in arrival order, for a swap snapshot. */
    public synchronized List<Stored> snapshot() {
        List<Stored> all = new ArrayList<>(size);
        byKey.values().forEach(all::addAll);
        all.sort(Comparator.comparingLong(Stored::seq));
        return all;
    }

    /**
     * Puts back a message from a snapshot or a journal replay (not journaled again), at its place in
     * arrival order (a replayed message a receive gave back comes after later ones in the journal).
     */
    public synchronized void restore(long seq, String from, String key, byte[] data) {
        budget.adjust(Stored.cost(from, key, data));
        long s = seq > 0 ? seq : nextSeq;
        insertInOrder(new Stored(s, from, key, data));
        size++;
        nextSeq = Math.max(nextSeq, s + 1);
    }

    private void insertInOrder(Stored s) {
        ArrayDeque<Stored> q = byKey.computeIfAbsent(s.key(), k -> new ArrayDeque<>());
        if (q.isEmpty() || q.peekLast().seq() < s.seq()) {
            q.addLast(s); // a new message: always here
            return;
        }
        ArrayDeque<Stored> later = new ArrayDeque<>();
        while (!q.isEmpty() && q.peekLast().seq() > s.seq()) {
            later.addFirst(q.pollLast());
        }
        q.addLast(s);
        q.addAll(later);
    }

    /** Removes a message a journal replay saw taken. */
    public synchronized void restoreTake(long seq) {
        for (Iterator<Map.Entry<String, ArrayDeque<Stored>>> it = byKey.entrySet().iterator(); it.hasNext(); ) {
            ArrayDeque<Stored> q = it.next().getValue();
            for (Iterator<Stored> qi = q.iterator(); qi.hasNext(); ) {
                Stored s = qi.next();
                if (s.seq() == seq) {
                    qi.remove();
                    size--;
                    budget.adjust(-s.cost());
                    if (q.isEmpty()) {
                        it.remove();
                    }
                    return;
                }
            }
        }
    }

    private static final class Waiter implements Deadlines.Expiring {
        final String from;
        final String key;
        final String abortKey;
        final CompletableFuture<ReceivedMessage> future = new CompletableFuture<>();
        final AtomicBoolean done = new AtomicBoolean();
        volatile long deadline = Long.MAX_VALUE;
        volatile Runnable onExpiry;

        Waiter(String from, String key, String abortKey) {
            this.from = from;
            this.key = key;
            this.abortKey = abortKey;
        }

        boolean matches(String sender, String k) {
            return (k.equals(key) && (ANY.equals(from) || from.equals(sender))) || k.equals(abortKey);
        }

        boolean claim() {
            if (done.compareAndSet(false, true)) {
                Deadlines.forget(this);
                return true;
            }
            return false;
        }

        @Override
        public long deadlineNanos() {
            return deadline;
        }

        @Override
        public void expire() {
            Runnable r = onExpiry;
            if (r != null) {
                r.run();
            }
        }
    }
}
