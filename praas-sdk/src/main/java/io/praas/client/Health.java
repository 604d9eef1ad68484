package io.praas.client;

/**
 * The answer of {@code GET /v1/health}.
 *
 * <pre>{@code
 * Health h = praas.health();   // needs no key
 * System.out.println(h.node() + " is " + h.status() + " in a cluster of " + h.clusterSize());
 * }</pre>
 *
 * @param status      "UP" when the node serves
 * @param node        the node's name
 * @param clusterSize members of its cluster
 */
public record Health(String status, String node, int clusterSize) {
}
