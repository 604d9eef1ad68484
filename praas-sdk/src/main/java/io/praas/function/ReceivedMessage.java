package io.praas.function;

/**
 * A message taken from this process's mailbox by {@link Context#receive}.
 *
 * <pre>{@code
 * ReceivedMessage m = ctx.receive(Context.ANY, "task", Duration.ofSeconds(5)).get();
 * ctx.send(m.from(), "done", process(m.data())).get();
 * }</pre>
 *
 * @param from the sending process's id
 * @param key  the key it was sent under
 * @param data the bytes sent
 */
public record ReceivedMessage(String from, String key, byte[] data) {
}
