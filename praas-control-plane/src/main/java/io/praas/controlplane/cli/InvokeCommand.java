package io.praas.controlplane.cli;

import io.praas.client.InvokeOptions;
import io.praas.client.InvokeResult;
import io.praas.client.Praas;
import io.praas.client.ProcessClient;
import io.praas.client.ProcessInfo;
import io.praas.client.ProcessSession;
import io.praas.client.ProcessStatus;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code praas invoke APP FUNCTION}: through the control plane (which picks, allocates or swaps in
 * the process), or with {@code --direct} on a process's data plane.
 */
@Command(name = "invoke", mixinStandardHelpOptions = true,
        description = "Invoke a function and print its output as text.")
public final class InvokeCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "APP", description = "Application name.")
    String app;

    @Parameters(index = "1", paramLabel = "FUNCTION", description = "Function name.")
    String function;

    @ArgGroup(exclusive = true)
    Input input;

    static final class Input {
        @Option(names = "--data", paramLabel = "TEXT", description = "The input as UTF-8 text.")
        String text;

        @Option(names = "--data-file", paramLabel = "FILE", description = "The input from a file ('-' for stdin).")
        Path file;
    }

    @Option(names = "--process", paramLabel = "ID",
            description = "Run on this process (sticky; swapped in if needed). Default: any.")
    String process;

    @Option(names = "--session", paramLabel = "S", description = "Run in this session of the process (needs --process, "
            + "or --direct).")
    String session;

    @Option(names = "--timeout-ms", paramLabel = "MS", description = "Invocation timeout (default: the server's, 30 s).")
    Long timeoutMs;

    @Option(names = "--direct", description = "Connect to the process's data plane (with a token from the API) "
            + "instead of going through the control plane.")
    boolean direct;

    @Override
    void run(Praas praas, Output out) throws Exception {
        byte[] in = input();
        Duration timeout = timeoutMs == null ? null : Duration.ofMillis(timeoutMs);
        if (timeout != null && timeoutMs < 1) {
            throw new IllegalArgumentException("--timeout-ms must be at least 1");
        }
        String ranOn;
        byte[] output;
        if (direct) {
            ProcessInfo target = process != null ? praas.getProcess(app, process) : anyActive(praas);
            try (ProcessClient client = praas.connect(target)) {
                Duration t = timeout != null ? timeout : Duration.ofSeconds(30);
                if (session != null) {
                    ProcessSession s = client.resumeSession(session); // kept open: closing it drops its state
                    output = s.invokeAsync(function, in, t).get();
                } else {
                    output = client.invokeAsync(function, "", in, t).get();
                }
                ranOn = target.id();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception c ? c : e;
            }
        } else {
            InvokeResult r = praas.invoke(app, function, in, new InvokeOptions(process, session, timeout));
            output = r.output();
            ranOn = r.process();
        }
        if (out.json()) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("process", ranOn);
            v.put("output", new String(output, StandardCharsets.UTF_8));
            out.json(v);
        } else {
            String text = new String(output, StandardCharsets.UTF_8);
            out.line(text.endsWith("\n") ? text.substring(0, text.length() - 1) : text);
        }
    }

    private ProcessInfo anyActive(Praas praas) {
        List<ProcessInfo> active = praas.listProcesses(app, ProcessStatus.ACTIVE);
        if (active.isEmpty()) {
            throw new IllegalArgumentException("application " + app + " has no ACTIVE process to connect to; "
                    + "start one with `praas process create " + app + "`, or invoke without --direct");
        }
        return active.get(0);
    }

    private byte[] input() throws java.io.IOException {
        if (input == null) {
            return new byte[0];
        }
        if (input.text != null) {
            return input.text.getBytes(StandardCharsets.UTF_8);
        }
        if (input.file.toString().equals("-")) {
            return System.in.readAllBytes();
        }
        if (!Files.isRegularFile(input.file)) {
            throw new IllegalArgumentException("--data-file " + input.file + " is not a file");
        }
        return Files.readAllBytes(input.file);
    }
}
