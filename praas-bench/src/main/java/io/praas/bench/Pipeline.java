package io.praas.bench;

/**
 * A client that keeps a fixed number of requests in flight, issuing the next one as each
 * completes, until stopped. Completions are counted from any thread.
 */
interface Pipeline extends AutoCloseable {
    /** Issues the first requests; returns at once. */
    void start();

    /** Requests completed so far (successfully). */
    long completed();

    /** Requests that failed so far. */
    long failed();

    /** The first failure, or null. */
    Throwable firstFailure();

    /** Stops issuing new requests. */
    void stop();

    /** Waits until no request is in flight; false if some still are after {@code timeoutMs}. */
    boolean awaitDrained(long timeoutMs) throws InterruptedException;

    @Override
    void close();
}
