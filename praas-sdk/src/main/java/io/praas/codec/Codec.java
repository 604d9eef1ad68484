package io.praas.codec;

/**
 * Turns typed values into payload bytes and back. Payloads on the wire are opaque bytes; codecs
 * layer types on top.
 *
 * <pre>{@code
 * Codec<Order> json = Codecs.json(Order.class);
 * byte[] wire = json.encode(order);
 * Order back = json.decode(wire);
 * }</pre>
 */
public interface Codec<T> {
    byte[] encode(T value);

    T decode(byte[] bytes);
}
