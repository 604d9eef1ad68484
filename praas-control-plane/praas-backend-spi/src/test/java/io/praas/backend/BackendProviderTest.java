package io.praas.backend;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BackendProviderTest {

    @Test
    void settingsComeFromTheBackendsOwnVariables() {
        Map<String, String> env = Map.of(
                "PRAAS_FARGATE_TASK_DEFINITION", "praas-process:3",
                "PRAAS_FARGATE_SUBNETS", "subnet-1,subnet-2",
                "PRAAS_FARGATE_", "ignored: no key",
                "PRAAS_KNATIVE_IMAGE", "not fargate's",
                "PRAAS_BACKEND", "fargate");
        assertThat(BackendProvider.settingsFromEnvironment("fargate", env))
                .containsExactly(Map.entry("subnets", "subnet-1,subnet-2"), Map.entry("task-definition", "praas-process:3"));
    }

    @Test
    void noProviderIsOnTheSpisOwnClassPath() {
        assertThat(BackendProvider.names()).isEmpty();
        assertThat(BackendProvider.named("fargate")).isEmpty();
    }
}
