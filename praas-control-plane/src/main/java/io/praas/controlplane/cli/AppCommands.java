package io.praas.controlplane.cli;

import io.praas.client.Application;
import io.praas.client.ApplicationSpec;
import io.praas.client.Praas;
import io.praas.client.PraasException;
import io.praas.client.Resources;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code praas app create|list|get|delete}: applications and their code. */
@Command(name = "app", mixinStandardHelpOptions = true, description = "Manage applications.",
        subcommands = {AppCommands.Create.class, AppCommands.ListApps.class, AppCommands.Get.class,
                AppCommands.Delete.class})
public final class AppCommands implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: create, list, get or delete");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an application and upload its jar.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Application name (a-z, 0-9, '-'; 1-63 characters).")
        String name;

        @Option(names = "--jar", required = true, paramLabel = "JAR", description = "The application's jar.")
        Path jar;

        @Option(names = "--vcpu", paramLabel = "N", description = "Default vCPU of its processes.")
        Double vcpu;

        @Option(names = "--memory-mib", paramLabel = "N", description = "Default memory of its processes, MiB.")
        Integer memoryMiB;

        @Option(names = "--max-processes", paramLabel = "N", description = "Processes the control plane allocates at most.")
        Integer maxProcesses;

        @Option(names = "--idle-seconds", paramLabel = "N", description = "Swap a process out after this long idle (0 = never).")
        Long idleSeconds;

        @Option(names = "--durability", paramLabel = "D",
                description = "memory (default: a crash loses changes since the last swap) or journal (every "
                        + "change is journaled before it is acknowledged).")
        String durability;

        @Override
        void run(Praas praas, Output out) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("--jar " + jar + " is not a file");
            }
            atLeast("--vcpu", vcpu, 0, false);
            atLeast("--memory-mib", memoryMiB, 1, true);
            atLeast("--max-processes", maxProcesses, 1, true);
            atLeast("--idle-seconds", idleSeconds, 0, true);
            ApplicationSpec s = ApplicationSpec.named(name);
            if (vcpu != null || memoryMiB != null) {
                s = s.withResources(new Resources(vcpu == null ? 0 : vcpu, memoryMiB == null ? 0 : memoryMiB));
            }
            if (maxProcesses != null) {
                s = s.withMaxProcesses(maxProcesses);
            }
            if (idleSeconds != null) {
                s = s.withIdleSeconds(idleSeconds);
            }
            if (durability != null) {
                Application.Durability d = Application.Durability.parse(durability);
                if (d == Application.Durability.UNKNOWN) {
                    throw new IllegalArgumentException("--durability must be memory or journal, not '" + durability + "'");
                }
                s = s.withDurability(d);
            }
            Application created = praas.createApplication(s);
            out.say("application " + created.name() + " created: " + Output.resources(created.resources())
                    + (created.limits() == null ? "" : ", at most " + created.limits().maxProcesses() + " processes")
                    + ", swap " + Output.swap(created.swap())
                    + (created.durability() == null ? "" : ", durability " + created.durability().wireName()));
            Application uploaded;
            try {
                uploaded = praas.uploadCode(name, jar);
            } catch (PraasException | java.io.UncheckedIOException e) {
                // creating and uploading are one step for the user: leave no application without code behind
                try {
                    praas.deleteApplication(name);
                } catch (PraasException ignored) {
                    err().println("praas: could not remove application " + name + " again; delete it with "
                            + "`praas app delete " + name + "`");
                }
                throw e;
            }
            out.say("code uploaded: " + uploaded.code().sizeBytes() + " bytes, sha256 " + uploaded.code().sha256());
            if (out.json()) {
                out.json(uploaded);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the applications.")
    static final class ListApps extends ClientCommand {
        @Override
        void run(Praas praas, Output out) {
            out.applications(praas.listApplications());
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show an application.")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Application name.")
        String name;

        @Override
        void run(Praas praas, Output out) {
            out.application(praas.getApplication(name));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete an application: stops and deletes its processes, then it and its code.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Application name.")
        String name;

        @Override
        void run(Praas praas, Output out) {
            praas.deleteApplication(name);
            out.say("application " + name + " deleted");
        }
    }
}
