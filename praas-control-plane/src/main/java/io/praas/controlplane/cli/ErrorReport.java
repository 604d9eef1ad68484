package io.praas.controlplane.cli;

import io.praas.client.PraasApiException;
import io.praas.client.PraasConnectionException;
import io.praas.client.PraasException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns a failed command into one line on stderr, {@code praas: <ERROR_CODE>: <message>}, and exit
 * code 1. Stack traces are for bugs only (PRAAS_DEBUG=1 prints them).
 */
public final class ErrorReport implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) {
        ClientOptions options = cmd.getCommand() instanceof ClientCommand c ? c.client : null;
        cmd.getErr().println("praas: " + line(ex, options));
        if (System.getenv("PRAAS_DEBUG") != null) {
            ex.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return 1;
    }

    static String line(Throwable thrown, ClientOptions options) {
        Throwable ex = thrown;
        while ((ex instanceof java.util.concurrent.CompletionException
                || ex instanceof java.util.concurrent.ExecutionException) && ex.getCause() != null) {
            ex = ex.getCause();
        }
        if (ex instanceof PraasApiException e) {
            String hint = e.hint();
            if (e.status() == 401 && options != null) {
                hint = options.keySource().isEmpty()
                        ? "this control plane needs its admin key: pass the key printed by `praas up` with "
                        + "--admin-key or PRAAS_ADMIN_KEY (it is also read from <data-dir>/admin.key)"
                        : "the admin key from " + options.keySource() + " is not this control plane's; use the key "
                        + "printed by `praas up` (also in its <data-dir>/admin.key)";
            }
            return e.error() + ": " + e.detail() + (hint.isEmpty() ? "" : "; " + hint);
        }
        if (ex instanceof PraasConnectionException e) {
            return "UNREACHABLE: " + e.detail()
                    + (options == null ? "" : " (the URL came from " + options.urlSource() + ")");
        }
        if (ex instanceof PraasException e) {
            return e.code() + ": " + e.detail();
        }
        if (ex instanceof IllegalArgumentException) {
            return "INVALID_ARGUMENT: " + ex.getMessage();
        }
        if (ex instanceof UncheckedIOException || ex instanceof IOException) {
            return "IO_ERROR: " + ex.getMessage();
        }
        return "INTERNAL: " + ex;
    }
}
