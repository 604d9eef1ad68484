package io.praas.client;

import io.praas.codec.Codec;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A session on a process: invocations made through it run one at a time, in order, and share the
 * session's state. It outlives the connection: {@link ProcessClient#resumeSession(String)} with
 * {@link #id()} picks it up again.
 *
 * <pre>{@code
 * ProcessSession session = client.openSession();
 * long n = session.invoke("counter", "", Codecs.utf8(), Codecs.json(Long.class));
 * session.close();   // drops the session and its state
 * }</pre>
 */
public final class ProcessSession implements AutoCloseable {
    private final ProcessClient client;
    private final String id;
    private final boolean resumed;

    ProcessSession(ProcessClient client, String id, boolean resumed) {
        this.client = client;
        this.id = id;
        this.resumed = resumed;
    }

    public String id() {
        return id;
    }

    /** True when the session existed on the process before it was opened here. */
    public boolean resumed() {
        return resumed;
    }

    public byte[] invoke(String function, byte[] input) {
        return client.invoke(function, id, input, client.defaultTimeout());
    }

    public <I, O> O invoke(String function, I input, Codec<I> in, Codec<O> out) {
        return out.decode(invoke(function, in.encode(input)));
    }

    public CompletableFuture<byte[]> invokeAsync(String function, byte[] input) {
        return client.invokeAsync(function, id, input, client.defaultTimeout());
    }

    public CompletableFuture<byte[]> invokeAsync(String function, byte[] input, Duration timeout) {
        return client.invokeAsync(function, id, input, timeout);
    }

    public <I, O> CompletableFuture<O> invokeAsync(String function, I input, Codec<I> in, Codec<O> out) {
        return invokeAsync(function, in.encode(input)).thenApply(out::decode);
    }

    /** Closes the session on the process: its state is dropped. */
    @Override
    public void close() {
        client.closeSession(id);
    }
}
