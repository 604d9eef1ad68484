package io.praas.controlplane.cli;

import io.praas.client.Praas;
import io.praas.client.ProcessInfo;
import io.praas.client.ProcessSpec;
import io.praas.client.ProcessStatus;
import io.praas.client.Resources;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code praas process create|list|get|stop|delete}: processes of an application. */
@Command(name = "process", mixinStandardHelpOptions = true, description = "Manage the processes of an application.",
        subcommands = {ProcessCommands.Create.class, ProcessCommands.ListProcesses.class, ProcessCommands.Get.class,
                ProcessCommands.Stop.class, ProcessCommands.Delete.class, ProcessCommands.SwapOut.class,
                ProcessCommands.SwapIn.class})
public final class ProcessCommands implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "Missing subcommand: create, list, get, stop, delete, swap or swapin");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Start a process and wait until it is ACTIVE; prints its id, status, endpoint and token.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", paramLabel = "APP", description = "Application name.")
        String app;

        @Option(names = "--name", paramLabel = "ID", description = "The process id (default: generated).")
        String name;

        @Option(names = "--vcpu", paramLabel = "N", description = "vCPU (default: the application's).")
        Double vcpu;

        @Option(names = "--memory-mib", paramLabel = "N", description = "Memory in MiB (default: the application's).")
        Integer memoryMiB;

        @Override
        void run(Praas praas, Output out) {
            atLeast("--vcpu", vcpu, 0, false);
            atLeast("--memory-mib", memoryMiB, 1, true);
            Resources resources = null;
            if (vcpu != null || memoryMiB != null) {
                // Resources carries both halves: the missing one is the application's, as the API would take
                Resources base = vcpu == null || memoryMiB == null ? praas.getApplication(app).resources() : null;
                resources = new Resources(vcpu != null ? vcpu : base == null ? 0 : base.vcpu(),
                        memoryMiB != null ? memoryMiB : base == null ? 0 : base.memoryMiB());
            }
            ProcessInfo p = praas.createProcess(app, new ProcessSpec(name, resources));
            out.process(p);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the processes of an application.")
    static final class ListProcesses extends ClientCommand {
        @Parameters(index = "0", paramLabel = "APP", description = "Application name.")
        String app;

        @Option(names = "--status", paramLabel = "S", description = "Only processes in this status: ${COMPLETION-CANDIDATES}.",
                completionCandidates = Statuses.class)
        ProcessStatus status;

        @Override
        void run(Praas praas, Output out) {
            if (status == ProcessStatus.UNKNOWN) {
                throw new IllegalArgumentException("--status UNKNOWN is no status; one of " + new Statuses());
            }
            out.processes(praas.listProcesses(app, status));
        }
    }

    /** A command about one process: {@code APP ID}. */
    abstract static class OneProcess extends ClientCommand {
        @Parameters(index = "0", paramLabel = "APP", description = "Application name.")
        String app;

        @Parameters(index = "1", paramLabel = "ID", description = "Process id.")
        String id;
    }

    /** A command that moves one process and prints where it ended up. */
    abstract static class Transition extends OneProcess {
        abstract ProcessInfo apply(Praas praas);

        /** What the line adds after the status. */
        String detail(ProcessInfo p) {
            return "";
        }

        @Override
        void run(Praas praas, Output out) {
            ProcessInfo p = apply(praas);
            if (out.json()) {
                out.json(p);
            } else {
                out.line("process " + p.id() + " of " + p.application() + ": " + p.status() + detail(p));
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a process.")
    static final class Get extends OneProcess {
        @Override
        void run(Praas praas, Output out) {
            out.process(praas.getProcess(app, id));
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stop a process gracefully (it drains; its state is dropped).")
    static final class Stop extends Transition {
        @Override
        ProcessInfo apply(Praas praas) {
            return praas.stopProcess(app, id);
        }
    }

    @Command(name = "swap", mixinStandardHelpOptions = true,
            description = "Swap a process out: it drains and writes its state and sessions to object storage.")
    static final class SwapOut extends Transition {
        @Override
        ProcessInfo apply(Praas praas) {
            return praas.swapOut(app, id);
        }

        @Override
        String detail(ProcessInfo p) {
            return p.snapshot() == null ? "" : " (snapshot " + Output.snapshot(p.snapshot()) + ")";
        }
    }

    @Command(name = "swapin", mixinStandardHelpOptions = true,
            description = "Swap a process in: it restores its last snapshot, then serves (its sessions resume).")
    static final class SwapIn extends Transition {
        @Override
        ProcessInfo apply(Praas praas) {
            return praas.swapIn(app, id);
        }

        @Override
        String detail(ProcessInfo p) {
            return p.endpoint() == null ? "" : " at " + p.endpoint();
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Stop a process if it runs and remove it.")
    static final class Delete extends OneProcess {
        @Override
        void run(Praas praas, Output out) {
            praas.deleteProcess(app, id);
            out.say("process " + id + " of " + app + " deleted");
        }
    }

    /** The statuses one can filter by. */
    static final class Statuses extends java.util.ArrayList<String> {
        Statuses() {
            for (ProcessStatus s : ProcessStatus.values()) {
                if (s != ProcessStatus.UNKNOWN) {
                    add(s.name());
                }
            }
        }
    }
}
