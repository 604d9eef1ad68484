package io.praas.controlplane.cli;

import io.praas.client.IssuedToken;
import io.praas.client.Praas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;

/** {@code praas token APP}: a data-plane token issued by the control plane, on stdout. */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Issue a data-plane token for an application (or one of its processes) and print it.")
public final class TokenCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "APP", description = "Application name.")
    String app;

    @Option(names = "--process", paramLabel = "ID", description = "Limit the token to this process.")
    String process;

    @Option(names = "--ttl-seconds", paramLabel = "N", description = "How long it is valid (default: 24 h).")
    Long ttlSeconds;

    @Override
    void run(Praas praas, Output out) {
        if (ttlSeconds != null && ttlSeconds < 1) {
            throw new IllegalArgumentException("--ttl-seconds must be at least 1");
        }
        IssuedToken t = praas.issueToken(app, process, ttlSeconds == null ? null : Duration.ofSeconds(ttlSeconds));
        if (out.json()) {
            out.json(t);
        } else {
            out.line(t.token());
        }
    }
}
