package io.praas.function;

import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A thread-safe key-value store: the process state (shared by every session of the process) or
 * one session's state. Values are raw bytes or Java values encoded with Kryo. Every write counts
 * towards the process's state limit; a write over it throws {@link StateLimitExceededException} and
 * leaves the store unchanged. So does a write by an invocation still running after a swap-out's drain
 * timeout (its caller was already told PROCESS_UNAVAILABLE): it throws
 * {@link io.praas.client.PraasException} PROCESS_UNAVAILABLE while the process swaps out.
 *
 * <pre>{@code
 * StateStore state = ctx.processState();
 * state.put("config", new Config(3, "eu"));
 * Config c = state.get("config", Config.class).orElseThrow();
 * long hits = state.compute("hits", Long.class, n -> n == null ? 1L : n + 1);
 * state.delete("config");
 * }</pre>
 */
public interface StateStore {

    /** The value of {@code key} decoded as {@code type}, or empty. */
    <T> Optional<T> get(String key, Class<T> type);

    /** The raw bytes of {@code key}, or null. */
    byte[] getBytes(String key);

    /** Stores a value (Kryo-encoded). */
    void put(String key, Object value);

    /** Stores raw bytes. */
    void putBytes(String key, byte[] value);

    /**
     * Atomically replaces the value of {@code key} with {@code update(current)} (current is null
     * when absent); a null result deletes the key. Returns the new value. Concurrent computes on the
     * same key run one after another. {@code update} runs while the key is locked: it must not write
     * state (any store's put, delete or compute there throws IllegalStateException and nothing changes);
     * keep it short.
     */
    <T> T compute(String key, Class<T> type, UnaryOperator<T> update);

    /** Removes a key; true when it existed. */
    boolean delete(String key);

    /** A snapshot of the keys. */
    Set<String> keys();

    /** Bytes held by this store (keys and values). */
    long sizeBytes();
}
