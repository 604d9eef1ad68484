package io.praas.client;

import io.praas.codec.Codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The output of an invocation through the control plane and the process that ran it (from the
 * {@code X-Praas-Process} header; pass it to {@link InvokeOptions#onProcess} to stay there).
 *
 * <pre>{@code
 * InvokeResult r = praas.invoke("shop", "echo", "hi".getBytes(UTF_8));
 * System.out.println(r.outputText() + " from " + r.process());
 * }</pre>
 *
 * @param output  the function's output bytes
 * @param process the id of the process that ran it, or null if the answer did not name it
 */
public record InvokeResult(byte[] output, String process) {

    public InvokeResult {
        Objects.requireNonNull(output, "output");
    }

    /** The output as UTF-8 text. */
    public String outputText() {
        return new String(output, StandardCharsets.UTF_8);
    }

    /** The output decoded with {@code codec}. */
    public <O> O output(Codec<O> codec) {
        return codec.decode(output);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InvokeResult r && Arrays.equals(output, r.output) && Objects.equals(process, r.process);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(output) + Objects.hashCode(process);
    }

    @Override
    public String toString() {
        return "InvokeResult[process=" + process + ", output=" + output.length + " bytes]";
    }
}
