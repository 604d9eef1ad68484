package io.praas.controlplane.cli;

import io.praas.client.Praas;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * A command that talks to the control plane's REST API through the SDK's {@link Praas} client.
 * Failures are reported by {@link ErrorReport}.
 */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        try (Praas praas = client.open()) {
            run(praas, new Output(spec.commandLine().getOut(), client.json));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** Does the command's work, printing its result on {@code out}. */
    abstract void run(Praas praas, Output out) throws Exception;

    /**
     * {@code value} when it is null (not given) or over {@code floor} (at least it, with
     * {@code inclusive}); else an error naming the flag: the SDK would take 0 for "the default".
     */
    static <N extends Number> N atLeast(String flag, N value, double floor, boolean inclusive) {
        if (value != null && (inclusive ? value.doubleValue() < floor : value.doubleValue() <= floor)) {
            throw new IllegalArgumentException(flag + " must be " + (inclusive ? "at least " : "over ")
                    + (floor == Math.rint(floor) ? Long.toString((long) floor) : Double.toString(floor)) + ", not " + value);
        }
        return value;
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
