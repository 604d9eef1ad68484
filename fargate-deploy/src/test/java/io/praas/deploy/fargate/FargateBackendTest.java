package io.praas.deploy.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.backend.BackendException;
import io.praas.backend.BackendHandle;
import io.praas.backend.BackendProvider;
import io.praas.backend.LaunchSpec;
import io.praas.backend.ProcessBackend;
import io.praas.backend.Resources;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Fargate backend against an ECS endpoint on loopback that checks each request. */
class FargateBackendTest {
    private FakeEcs ecs;
    private ProcessBackend backend;

    @BeforeEach
    void start() throws Exception {
        ecs = new FakeEcs();
        backend = backend(Map.of());
    }

    @AfterEach
    void stop() {
        backend.close();
        ecs.close();
    }

    private ProcessBackend backend(Map<String, String> extra) {
        Map<String, String> s = new HashMap<>(Map.of("cluster", "praas", "task-definition", "praas-process:3",
                "subnets", "subnet-1, subnet-2", "security-groups", "sg-1", "region", "us-east-1",
                "endpoint", ecs.endpoint().toString(), "access-key", "test", "secret-key", "test",
                "poll-interval-ms", "10"));
        s.putAll(extra);
        return BackendProvider.named("fargate").orElseThrow().create(s);
    }

    private static LaunchSpec spec(Resources r) {
        return new LaunchSpec("shop", "cart-1", r, "s3://praas-code/shop/abc.jar", Map.of(
                "PRAAS_APPLICATION", "shop", "PRAAS_PROCESS_ID", "cart-1", "PRAAS_CONTROL_PLANE", "10.0.0.5:7000",
                "PRAAS_CONTROL_TOKEN", "tok", "PRAAS_SWAP_IN_MANIFEST", "shop/cart-1/gen-2/manifest.json",
                "PRAAS_HOST", "127.0.0.1", "PRAAS_PORT", "0"));
    }

    private BackendHandle startOk(ProcessBackend b, Resources r) throws Exception {
        return b.start(spec(r)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private BackendException startFails(ProcessBackend b, Resources r) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> b.start(spec(r)).toCompletableFuture().join());
        assertThat(t).isInstanceOf(CompletionException.class).hasCauseInstanceOf(BackendException.class);
        return (BackendException) t.getCause();
    }

    private static Map<String, String> environment(JsonNode runTask) {
        JsonNode override = runTask.path("overrides").path("containerOverrides").get(0);
        Map<String, String> env = new HashMap<>();
        override.path("environment").forEach(kv -> env.put(kv.path("name").asText(), kv.path("value").asText()));
        return env;
    }

    @Test
    void startRunsAFargateTaskInTheGivenNetworkAndWaitsUntilItIsRunning() throws Exception {
        BackendHandle h = startOk(backend, new Resources(1, 512));

        assertThat(h.backend()).isEqualTo("fargate");
        assertThat(h.id()).isEqualTo("arn:aws:ecs:us-east-1:123456789012:task/praas/t1");
        assertThat(h.attributes()).containsEntry("cluster", "praas").containsEntry("address", "10.0.1.1");
        JsonNode run = ecs.bodies("RunTask").get(0);
        assertThat(run.path("launchType").asText()).isEqualTo("FARGATE");
        assertThat(run.path("cluster").asText()).isEqualTo("praas");
        assertThat(run.path("taskDefinition").asText()).isEqualTo("praas-process:3");
        assertThat(run.path("count").asInt()).isEqualTo(1);
        JsonNode vpc = run.path("networkConfiguration").path("awsvpcConfiguration");
        assertThat(vpc.path("subnets")).extracting(JsonNode::asText).containsExactly("subnet-1", "subnet-2");
        assertThat(vpc.path("securityGroups")).extracting(JsonNode::asText).containsExactly("sg-1");
        assertThat(vpc.path("assignPublicIp").asText()).isEqualTo("DISABLED");
        assertThat(run.path("overrides").path("cpu").asText()).isEqualTo("1024");
        assertThat(run.path("overrides").path("memory").asText()).isEqualTo("2048");
        assertThat(run.path("overrides").path("containerOverrides").get(0).path("name").asText()).isEqualTo("praas");
        // PROVISIONING, PENDING, then RUNNING: three looks.
        assertThat(ecs.bodies("DescribeTasks")).hasSize(3)
                .allSatisfy(d -> assertThat(d.path("tasks").get(0).asText()).isEqualTo(h.id()));
    }

    @Test
    void theTaskGetsTheWholeLaunchEnvironmentWithTheContainersBindAddress() throws Exception {
        startOk(backend, new Resources(0.25, 512));

        Map<String, String> env = environment(ecs.bodies("RunTask").get(0));
        assertThat(env).containsEntry("PRAAS_APPLICATION", "shop").containsEntry("PRAAS_PROCESS_ID", "cart-1")
                .containsEntry("PRAAS_CONTROL_PLANE", "10.0.0.5:7000").containsEntry("PRAAS_CONTROL_TOKEN", "tok")
                .containsEntry("PRAAS_SWAP_IN_MANIFEST", "shop/cart-1/gen-2/manifest.json")
                .containsEntry("PRAAS_APP_CODE", "s3://praas-code/shop/abc.jar")
                .containsEntry("PRAAS_HOST", "0.0.0.0").containsEntry("PRAAS_PORT", "8000");
        assertThat(ecs.bodies("RunTask").get(0).path("overrides").path("cpu").asText()).isEqualTo("256");
        assertThat(ecs.bodies("RunTask").get(0).path("overrides").path("memory").asText()).isEqualTo("512");
    }

    @Test
    void settingsChooseThePublicIpTheControlPlaneAddressAndThePort() throws Exception {
        try (ProcessBackend b = backend(Map.of("assign-public-ip", "true", "control-plane", "cp.internal:7000",
                "data-port", "9000", "container", "proc"))) {
            startOk(b, new Resources(1, 1024));
        }
        JsonNode run = ecs.bodies("RunTask").get(0);
        assertThat(run.path("networkConfiguration").path("awsvpcConfiguration").path("assignPublicIp").asText()).isEqualTo("ENABLED");
        assertThat(run.path("overrides").path("containerOverrides").get(0).path("name").asText()).isEqualTo("proc");
        assertThat(environment(run)).containsEntry("PRAAS_CONTROL_PLANE", "cp.internal:7000").containsEntry("PRAAS_PORT", "9000");
    }

    @Test
    void stopStopsTheTaskAndStoppingAgainOrAnUnknownTaskIsFine() throws Exception {
        BackendHandle h = startOk(backend, new Resources(1, 2048));

        backend.stop(h).toCompletableFuture().get(10, TimeUnit.SECONDS);
        backend.stop(h).toCompletableFuture().get(10, TimeUnit.SECONDS);
        backend.stop(new BackendHandle("fargate", "arn:aws:ecs:us-east-1:123456789012:task/praas/gone",
                Map.of("cluster", "praas"))).toCompletableFuture().get(10, TimeUnit.SECONDS);

        List<JsonNode> stops = ecs.bodies("StopTask");
        assertThat(stops).hasSize(3);
        assertThat(stops.get(0).path("cluster").asText()).isEqualTo("praas");
        assertThat(stops.get(0).path("task").asText()).isEqualTo(h.id());
        assertThat(stops.get(0).path("reason").asText()).contains("PraaS");
    }

    @Test
    void anAccessDeniedAnswerIsAPermissionError() {
        ecs.runTaskError = "AccessDeniedException";

        BackendException e = startFails(backend, new Resources(1, 2048));

        assertThat(e.reason()).isEqualTo(BackendException.Reason.PERMISSION);
        assertThat(e.getMessage()).contains("ECS denied RunTask for shop/cart-1", "not authorized", "iam:PassRole");
    }

    @Test
    void aCapacityFailureOfRunTaskIsACapacityError() {
        ecs.runTaskFailure = "Capacity is unavailable at this time. Please try again later or in a different availability zone";

        BackendException e = startFails(backend, new Resources(1, 2048));

        assertThat(e.reason()).isEqualTo(BackendException.Reason.CAPACITY);
        assertThat(e.getMessage()).contains("Capacity is unavailable", "retry later");
        assertThat(ecs.bodies("DescribeTasks")).isEmpty();
    }

    @Test
    void anInvalidParameterAnswerIsAnInvalidRequest() {
        ecs.runTaskError = "InvalidParameterException";

        assertThat(startFails(backend, new Resources(1, 2048)).reason()).isEqualTo(BackendException.Reason.INVALID_REQUEST);
    }

    @Test
    void aTaskThatStopsBeforeRunningFailsWithItsStopReason() {
        ecs.statuses = List.of("PROVISIONING", "PENDING", "STOPPED");
        ecs.stoppedReason = "CannotPullContainerError: pull image manifest has been retried 5 time(s)";

        BackendException e = startFails(backend, new Resources(1, 2048));

        assertThat(e.reason()).isEqualTo(BackendException.Reason.FAILED);
        assertThat(e.getMessage()).contains("stopped before it ran", "CannotPullContainerError", "TaskFailedToStart",
                "execution role");
    }

    @Test
    void aThrottledDescribeTasksIsAskedAgainUntilTheTaskRuns() throws Exception {
        ecs.describeError = "ThrottlingException";
        ecs.describeErrorsLeft.set(4); // more than the SDK's own attempts of one call

        BackendHandle h = startOk(backend, new Resources(1, 512));

        assertThat(h.id()).contains("task/praas/t1");
        assertThat(ecs.bodies("StopTask")).isEmpty();
    }

    @Test
    void aDescribeTasksThatFailsWhileTheTaskStartsStopsTheTask() {
        ecs.describeError = "AccessDeniedException";
        ecs.describeErrorsLeft.set(100);

        BackendException e = startFails(backend, new Resources(1, 512));

        assertThat(e.reason()).isEqualTo(BackendException.Reason.PERMISSION);
        assertThat(ecs.bodies("StopTask")).as("the task RunTask started is not left running").hasSize(1);
    }

    @Test
    void aTaskThatNeverRunsIsStoppedAfterTheStartTimeout() {
        ecs.statuses = List.of("PROVISIONING", "PENDING");
        try (ProcessBackend b = backend(Map.of("start-timeout-seconds", "1", "poll-interval-ms", "50"))) {
            BackendException e = startFails(b, new Resources(1, 2048));

            assertThat(e.reason()).isEqualTo(BackendException.Reason.FAILED);
            assertThat(e.getMessage()).contains("did not reach RUNNING within 1 s", "last status PENDING");
        }
        assertThat(ecs.bodies("StopTask")).hasSize(1);
        assertThat(ecs.bodies("DescribeTasks").size()).isGreaterThan(3);
    }

    @Test
    void resourcesBeyondFargatesLargestTaskAreRefusedWithoutCallingEcs() {
        BackendException e = startFails(backend, new Resources(16, 200_000));

        assertThat(e.reason()).isEqualTo(BackendException.Reason.INVALID_REQUEST);
        assertThat(e.getMessage()).contains("exceed the largest Fargate task");
        assertThat(ecs.calls).isEmpty();
        assertThat(backend.caps()).isEqualTo(new Resources(16, 122880));
    }

    @Test
    void anUnreachableEndpointIsAFailureThatSaysSo() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (ProcessBackend b = backend(Map.of("endpoint", "http://127.0.0.1:" + port))) {
            BackendException e = startFails(b, new Resources(1, 2048));
            assertThat(e.reason()).isEqualTo(BackendException.Reason.FAILED);
            assertThat(e.getMessage()).startsWith("cannot reach ECS for RunTask");
        }
    }

    @Test
    void missingAndUnknownSettingsAreNamed() {
        BackendProvider p = BackendProvider.named("fargate").orElseThrow();
        assertThatThrownBy(() -> p.create(Map.of("task-definition", "x", "subnets", "s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'cluster' is required").hasMessageContaining("PRAAS_FARGATE_CLUSTER");
        assertThatThrownBy(() -> p.create(Map.of("cluster", "c", "task-definition", "x", "subnets", "s", "subnet", "t")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown settings [subnet]");
        assertThatThrownBy(() -> p.create(Map.of("cluster", "c", "task-definition", "x")))
                .hasMessageContaining("'subnets' is required");
    }
}
