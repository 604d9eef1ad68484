package io.praas.deploy.fargate;

import io.praas.backend.BackendProvider;
import io.praas.backend.ProcessBackend;

import java.util.Map;

/**
 * The {@code fargate} backend for {@code praas up --backend fargate}, found through
 * {@link java.util.ServiceLoader}.
 *
 * <pre>{@code
 * ProcessBackend b = new FargateProvider().create(Map.of("cluster", "praas", "task-definition", "praas-process",
 *         "subnets", "subnet-0abc"));
 * }</pre>
 */
public final class FargateProvider implements BackendProvider {
    @Override
    public String name() {
        return "fargate";
    }

    @Override
    public ProcessBackend create(Map<String, String> settings) {
        return new FargateBackend(FargateSettings.from(settings));
    }
}
