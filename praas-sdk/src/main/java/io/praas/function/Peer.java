package io.praas.function;

import io.praas.client.ProcessStatus;

/**
 * One process of this process's application as the control plane last reported it (see
 * {@link Context#world()}).
 *
 * <pre>{@code
 * List<String> active = ctx.world().stream()
 *         .filter(p -> p.status() == ProcessStatus.ACTIVE)
 *         .map(Peer::processId).toList();
 * }</pre>
 *
 * @param processId its id
 * @param status    its lifecycle status
 * @param host      its data-plane host (empty while it has none, e.g. swapped out)
 * @param port      its data-plane port (0 while it has none)
 */
public record Peer(String processId, ProcessStatus status, String host, int port) {
}
