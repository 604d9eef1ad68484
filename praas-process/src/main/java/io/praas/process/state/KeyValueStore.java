package io.praas.process.state;

import io.praas.codec.KryoCodec;
import io.praas.function.StateStore;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import java.util.function.UnaryOperator;

/**
 * A {@link StateStore} held in memory. Values are kept encoded (raw bytes, or Kryo for Java values)
 * so their size is exact for the process's {@link StateBudget} and a snapshot needs no further
 * encoding.
 */
public final class KeyValueStore implements StateStore {
    /** Longest key, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;
    /** Bookkeeping bytes counted for each entry besides its key and value. */
    static final int ENTRY_OVERHEAD = 32;

    private final ConcurrentHashMap<String, byte[]> entries = new ConcurrentHashMap<>();
    private final StateBudget budget;
    private final KryoCodec kryo;
    private final AtomicLong sizeBytes = new AtomicLong();
    private volatile boolean closed;
    private volatile StateJournal journal = StateJournal.NONE;
    private final String scope;
    /**
     * Writes share it; {@link #close} takes it alone, so a write either ends (journaled, counted)
     * before the store closes or finds it closed: none lands in a closed store's map or journal
     * after its closing.
     */
    private final StampedLock closing = new StampedLock();
    /** The store whose compute update runs on this thread, if any: its writes are refused there. */
    private static final ThreadLocal<KeyValueStore> COMPUTING = new ThreadLocal<>();

    /** A process-state store. */
    public KeyValueStore(StateBudget budget, KryoCodec kryo) {
        this(budget, kryo, "");
    }

    /** A store whose journal records name {@code scope}: "" for process state, else the session id. */
    public KeyValueStore(StateBudget budget, KryoCodec kryo, String scope) {
        this.budget = budget;
        this.kryo = kryo;
        this.scope = scope;
    }

    /** Records every change from now on in {@code journal} (after a restore has filled the store). */
    public void journal(StateJournal journal) {
        this.journal = journal;
    }

    @Override
    public <T> Optional<T> get(String key, Class<T> type) {
        byte[] bytes = entries.get(checkKey(key));
        return bytes == null ? Optional.empty() : Optional.of(decode(bytes, type));
    }

    @Override
    public byte[] getBytes(String key) {
        byte[] bytes = entries.get(checkKey(key));
        return bytes == null ? null : bytes.clone();
    }

    @Override
    public void put(String key, Object value) {
        Objects.requireNonNull(value, "value (use delete to remove a key)");
        store(key, value instanceof byte[] b ? b.clone() : kryo.encodeObject(value));
    }

    @Override
    public void putBytes(String key, byte[] value) {
        Objects.requireNonNull(value, "value (use delete to remove a key)");
        store(key, value.clone());
    }

    /**
     * Stores {@code value} itself, not a copy: for a caller that hands over an array nobody else
     * holds, such as a restore reading values out of a snapshot (a copy there doubled the memory
     * and the copying of every value restored).
     */
    public void adoptBytes(String key, byte[] value) {
        Objects.requireNonNull(value, "value (use delete to remove a key)");
        store(key, value);
    }

    private void store(String key, byte[] encoded) {
        checkKey(key);
        gated(() -> entries.compute(key, (k, old) -> {
            long delta = account(k, old, encoded, false);
            journaled(delta, () -> journal.put(scope, k, encoded));
            return encoded;
        }));
    }

    /**
     * Runs a change of the entries through the budget's gate (refused while a swap-out has it
     * sealed) and beside the other writes (never beside {@link #close}).
     */
    private <T> T gated(java.util.function.Supplier<T> change) {
        if (COMPUTING.get() != null) {
            // The map's lock is held for the update: a write of this thread would change the entry
            // under the update, or deadlock against another thread's update.
            throw new IllegalStateException("a compute's update must not write state; return the new value instead");
        }
        budget.beginWrite();
        long stamp = closing.readLock();
        try {
            return change.get();
        } finally {
            closing.unlockRead(stamp);
            budget.endWrite();
        }
    }

    /** Appends a change's record; if the journal refuses it, gives back what the change counted and rethrows. */
    private void journaled(long delta, Runnable append) {
        try {
            append.run();
        } catch (RuntimeException e) {
            budget.force(-delta);
            sizeBytes.addAndGet(-delta);
            throw e;
        }
    }

    @Override
    public <T> T compute(String key, Class<T> type, UnaryOperator<T> update) {
        return compute(key, type, update, false);
    }

    /**
     * As {@link #compute}, for the runtime's own small records (a group's collective counter): its
     * bytes are counted but never refused, since a member that cannot take its next number would
     * leave the group's members numbering their operations out of step.
     */
    public <T> T computeUnlimited(String key, Class<T> type, UnaryOperator<T> update) {
        return compute(key, type, update, true);
    }

    private <T> T compute(String key, Class<T> type, UnaryOperator<T> update, boolean unlimited) {
        checkKey(key);
        Object[] result = new Object[1];
        gated(() -> entries.compute(key, (k, old) -> {
            T current = old == null ? null : decode(old, type);
            T next;
            COMPUTING.set(this);
            try {
                next = update.apply(current);
            } finally {
                COMPUTING.remove();
            }
            byte[] encoded = next == null ? null : next instanceof byte[] b ? b.clone() : kryo.encodeObject(next);
            long delta = account(k, old, encoded, unlimited);
            if (encoded != null) {
                journaled(delta, () -> journal.put(scope, k, encoded));
            } else if (old != null) {
                journaled(delta, () -> journal.delete(scope, k));
            }
            result[0] = next;
            return encoded;
        }));
        @SuppressWarnings("unchecked")
        T next = (T) result[0];
        return next;
    }

    @Override
    public boolean delete(String key) {
        checkKey(key);
        boolean[] existed = new boolean[1];
        gated(() -> entries.computeIfPresent(key, (k, old) -> {
            long delta = account(k, old, null, false);
            journaled(delta, () -> journal.delete(scope, k));
            existed[0] = true;
            return null;
        }));
        return existed[0];
    }

    @Override
    public Set<String> keys() {
        // Keys starting with U+0001 are the runtime's own (the collectives' sequence numbers).
        return entries.keySet().stream().filter(k -> k.isEmpty() || k.charAt(0) != '\u0001')
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    @Override
    public long sizeBytes() {
        return sizeBytes.get();
    }

    /**
     * Closes the store for good (its session was closed or expired): once the writes under way have
     * ended, it runs {@code journalClosing} (the session's closing is journaled once, not key by
     * key), then gives its bytes back and refuses writes that would take more, for invocations that
     * still hold it. If {@code journalClosing} throws, the store stays open and unchanged.
     */
    public void close(Runnable journalClosing) {
        long stamp = closing.writeLock();
        try {
            closeLocked(journalClosing);
        } finally {
            closing.unlockWrite(stamp);
        }
    }

    /**
     * As {@link #close}, if no write is under way; false (and nothing changes) otherwise, without
     * waiting: for an event loop, which must not wait for a function's long compute.
     */
    public boolean tryClose(Runnable journalClosing) {
        long stamp = closing.tryWriteLock();
        if (stamp == 0) {
            return false;
        }
        try {
            closeLocked(journalClosing);
            return true;
        } finally {
            closing.unlockWrite(stamp);
        }
    }

    private void closeLocked(Runnable journalClosing) {
        journalClosing.run();
        closed = true;
        journal = StateJournal.NONE;
        clear();
    }

    /** Removes every entry and gives its bytes back to the budget. */
    private void clear() {
        for (String key : entries.keySet()) {
            entries.computeIfPresent(key, (k, old) -> {
                account(k, old, null, false);
                return null;
            });
        }
    }

    /** A point-in-time copy of the entries (values still encoded). */
    public Map<String, byte[]> snapshot() {
        return Map.copyOf(entries);
    }

    /** Counts a change of {@code key} from {@code old} to {@code next}; returns the bytes it took (negative: gave back). */
    private long account(String key, byte[] old, byte[] next, boolean unlimited) {
        long delta = entrySize(key, next) - entrySize(key, old);
        if (closed && delta > 0) {
            throw new IllegalStateException("this session was closed; its state takes no more writes");
        }
        if (unlimited) {
            budget.force(delta);
        } else {
            budget.adjust(delta); // throws before the map changes when over the limit
        }
        sizeBytes.addAndGet(delta);
        return delta;
    }

    private static long entrySize(String key, byte[] value) {
        return value == null ? 0 : key.length() * 2L + value.length + ENTRY_OVERHEAD;
    }

    private <T> T decode(byte[] bytes, Class<T> type) {
        if (type == byte[].class) {
            return type.cast(bytes.clone());
        }
        Object value = kryo.decodeObject(bytes);
        if (value == null || !wrapper(type).isInstance(value)) {
            throw new ClassCastException("state value is " + (value == null ? "null (raw bytes?)"
                    : "a " + value.getClass().getName()) + ", not a " + type.getName());
        }
        @SuppressWarnings("unchecked")
        T t = (T) value;
        return t;
    }

    private static Class<?> wrapper(Class<?> type) {
        return type.isPrimitive() ? java.lang.invoke.MethodType.methodType(type).wrap().returnType() : type;
    }

    private static String checkKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("state key must not be empty");
        }
        if (key.length() > MAX_KEY_BYTES || io.praas.protocol.FrameCodec.utf8Length(key) > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("state key longer than " + MAX_KEY_BYTES + " bytes");
        }
        return key;
    }
}
