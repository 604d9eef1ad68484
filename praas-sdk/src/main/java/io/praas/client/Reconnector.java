package io.praas.client;

/**
 * Finds where a process serves again after its connection went away (it swapped out, or it was
 * restarted): typically asks the control plane, which swaps the process in when it is swapped out.
 * {@link Praas#connect} gives clients one; with it, a {@link ProcessClient} reconnects by itself.
 *
 * <pre>{@code
 * ProcessClient c = ProcessClient.builder().address(host, port).token(token)
 *         .reconnector(processId -> new Reconnector.Endpoint("10.0.0.7", 8000, freshToken()))
 *         .connect();
 * }</pre>
 */
@FunctionalInterface
public interface Reconnector {

    /** Where to dial, and with which token. */
    record Endpoint(String host, int port, String token) {
    }

    /**
     * Blocks until the process serves again and says where. Called on a thread of the client's own.
     *
     * @throws PraasException when the process cannot be brought back (it was deleted, it failed)
     */
    Endpoint locate(String processId);
}
