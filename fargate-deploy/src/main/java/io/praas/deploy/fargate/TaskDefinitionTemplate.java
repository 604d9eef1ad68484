package io.praas.deploy.fargate;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A task-definition template: the JSON of {@code aws ecs register-task-definition --cli-input-json}
 * (see {@code fargate-deploy/task-definition.json}), read into the SDK's request, with the image and
 * roles of this deployment put in.
 *
 * <pre>{@code
 * RegisterTaskDefinitionRequest r = TaskDefinitionTemplate.read(Path.of("fargate-deploy/task-definition.json"))
 *         .withImage("praas", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/praas-process:0.1.0")
 *         .request();
 * }</pre>
 *
 * @param request the request as it stands
 */
public record TaskDefinitionTemplate(RegisterTaskDefinitionRequest request) {

    /**
     * Reads a template.
     *
     * @throws IllegalArgumentException when the file is not a task definition (names the field)
     */
    public static TaskDefinitionTemplate read(Path file) {
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            // The SDK's serializable builder has a bean setter per field of the API's JSON.
            RegisterTaskDefinitionRequest.Builder b = json.readValue(file.toFile(),
                    RegisterTaskDefinitionRequest.serializableBuilderClass());
            RegisterTaskDefinitionRequest r = b.build();
            if (r.family() == null || r.containerDefinitions().isEmpty()) {
                throw new IllegalArgumentException(file + " is not a task definition: it needs a family and containerDefinitions");
            }
            return new TaskDefinitionTemplate(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the task-definition template " + file + ": " + e.getMessage(), e);
        }
    }

    /** The container named {@code container} runs {@code image}. */
    public TaskDefinitionTemplate withImage(String container, String image) {
        container(container);
        List<ContainerDefinition> defs = request.containerDefinitions().stream()
                .map(c -> c.name().equals(container) ? c.toBuilder().image(image).build() : c)
                .toList();
        return new TaskDefinitionTemplate(request.toBuilder().containerDefinitions(defs).build());
    }

    public TaskDefinitionTemplate withFamily(String family) {
        return new TaskDefinitionTemplate(request.toBuilder().family(family).build());
    }

    public TaskDefinitionTemplate withExecutionRoleArn(String arn) {
        return new TaskDefinitionTemplate(request.toBuilder().executionRoleArn(arn).build());
    }

    public TaskDefinitionTemplate withTaskRoleArn(String arn) {
        return new TaskDefinitionTemplate(request.toBuilder().taskRoleArn(arn).build());
    }

    /**
     * The definition of container {@code name}.
     *
     * @throws IllegalArgumentException when there is none
     */
    public ContainerDefinition container(String name) {
        return request.containerDefinitions().stream().filter(c -> name.equals(c.name())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the task definition has no container named '" + name
                        + "' (it has " + request.containerDefinitions().stream().map(ContainerDefinition::name).toList() + ")"));
    }

    /**
     * Checks that the backend can run it: Fargate-compatible, awsvpc networking, the process's
     * container with the data-plane port.
     *
     * @throws IllegalArgumentException naming what is missing
     */
    public TaskDefinitionTemplate checkRunnable(String container, int dataPort) {
        if (!request.requiresCompatibilitiesAsStrings().contains("FARGATE")) {
            throw new IllegalArgumentException("requiresCompatibilities must contain FARGATE");
        }
        if (!"awsvpc".equals(request.networkModeAsString())) {
            throw new IllegalArgumentException("networkMode must be awsvpc (Fargate's only mode)");
        }
        ContainerDefinition c = container(container);
        if (c.portMappings().stream().noneMatch(p -> p.containerPort() != null && p.containerPort() == dataPort)) {
            throw new IllegalArgumentException("container '" + container + "' must map the data-plane port " + dataPort);
        }
        return this;
    }
}
