package io.praas.deploy.fargate;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionResponse;
import software.amazon.awssdk.services.ecs.model.TaskDefinition;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code praas fargate}: set-up commands for the Fargate backend.
 *
 * <pre>{@code
 * ./praas fargate register-task-definition --template fargate-deploy/task-definition.json \
 *     --image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/praas-process:0.1.0 --region eu-west-1
 * }</pre>
 */
@Command(name = "fargate", mixinStandardHelpOptions = true, subcommands = FargateCommand.Register.class,
        description = "Set up the Fargate backend (see docs/DEPLOY-FARGATE.md).")
public final class FargateCommand implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new FargateCommand()).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** Registers the process task definition from a template. */
    @Command(name = "register-task-definition", mixinStandardHelpOptions = true,
            description = "Register the processes' task definition from a template (a new revision of its family).")
    static final class Register implements Callable<Integer> {
        @Option(names = "--template", defaultValue = "fargate-deploy/task-definition.json",
                description = "Template: the JSON of aws ecs register-task-definition --cli-input-json (default ${DEFAULT-VALUE}).")
        Path template;

        @Option(names = "--image", description = "Image of the process container (the one built for processes, docs/IMAGE.md).")
        String image;

        @Option(names = "--family", description = "Task-definition family (default: the template's).")
        String family;

        @Option(names = "--execution-role-arn", description = "Role ECS uses to pull the image and write logs.")
        String executionRoleArn;

        @Option(names = "--task-role-arn", description = "Role of the process itself (S3 access to code and snapshots).")
        String taskRoleArn;

        @Option(names = "--container", defaultValue = "${env:PRAAS_FARGATE_CONTAINER:-praas}",
                description = "The process container's name (default ${DEFAULT-VALUE}).")
        String container;

        @Option(names = "--data-port", defaultValue = "${env:PRAAS_FARGATE_DATA_PORT:-8000}",
                description = "Data-plane port the container must map (default ${DEFAULT-VALUE}).")
        int dataPort;

        @Option(names = "--region", defaultValue = "${env:PRAAS_FARGATE_REGION}", description = "AWS region (default: the SDK's chain).")
        String region;

        @Option(names = "--endpoint", defaultValue = "${env:PRAAS_FARGATE_ENDPOINT}", description = "ECS endpoint instead of AWS's.")
        URI endpoint;

        @Option(names = "--access-key", defaultValue = "${env:PRAAS_FARGATE_ACCESS_KEY:-}",
                description = "Static AWS access key (default: the SDK's credentials chain).")
        String accessKey;

        @Option(names = "--secret-key", defaultValue = "${env:PRAAS_FARGATE_SECRET_KEY:-}", description = "Its secret key.")
        String secretKey;

        @Override
        public Integer call() {
            TaskDefinitionTemplate t;
            try {
                t = TaskDefinitionTemplate.read(template);
                if (image != null) {
                    t = t.withImage(container, image);
                }
                if (family != null) {
                    t = t.withFamily(family);
                }
                if (executionRoleArn != null) {
                    t = t.withExecutionRoleArn(executionRoleArn);
                }
                if (taskRoleArn != null) {
                    t = t.withTaskRoleArn(taskRoleArn);
                }
                t.checkRunnable(container, dataPort);
            } catch (IllegalArgumentException e) {
                System.err.println("praas fargate: " + e.getMessage());
                return 2;
            }
            try (EcsClient ecs = FargateBackend.client(region, endpoint, accessKey, secretKey)) {
                RegisterTaskDefinitionResponse r = ecs.registerTaskDefinition(t.request());
                TaskDefinition d = r.taskDefinition();
                String revision = d.family() + ":" + d.revision();
                System.out.println("registered task definition " + revision + " (" + d.taskDefinitionArn() + ")");
                System.out.println("run processes on it with: --backend fargate --backend-setting task-definition=" + revision
                        + "   (or PRAAS_FARGATE_TASK_DEFINITION=" + revision + ")");
                return 0;
            } catch (software.amazon.awssdk.core.exception.SdkException e) {
                System.err.println("praas fargate: ECS did not register the task definition: " + e.getMessage());
                return 1;
            }
        }
    }
}
