package io.praas.deploy.fargate;

import io.praas.backend.BackendException;
import io.praas.backend.BackendException.Reason;
import io.praas.backend.BackendHandle;
import io.praas.backend.LaunchSpec;
import io.praas.backend.ProcessBackend;
import io.praas.backend.Resources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.EcsClientBuilder;
import software.amazon.awssdk.services.ecs.model.AccessDeniedException;
import software.amazon.awssdk.services.ecs.model.AssignPublicIp;
import software.amazon.awssdk.services.ecs.model.AwsVpcConfiguration;
import software.amazon.awssdk.services.ecs.model.ClusterNotFoundException;
import software.amazon.awssdk.services.ecs.model.ContainerOverride;
import software.amazon.awssdk.services.ecs.model.DescribeTasksResponse;
import software.amazon.awssdk.services.ecs.model.EcsException;
import software.amazon.awssdk.services.ecs.model.Failure;
import software.amazon.awssdk.services.ecs.model.InvalidParameterException;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.LaunchType;
import software.amazon.awssdk.services.ecs.model.LimitExceededException;
import software.amazon.awssdk.services.ecs.model.NetworkConfiguration;
import software.amazon.awssdk.services.ecs.model.RunTaskRequest;
import software.amazon.awssdk.services.ecs.model.RunTaskResponse;
import software.amazon.awssdk.services.ecs.model.Task;
import software.amazon.awssdk.services.ecs.model.TaskOverride;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Runs each process as an ECS Fargate task: RunTask with awsvpc networking and the process's
 * size (rounded up to a Fargate size, see {@link FargateSize}), then DescribeTasks until the task is
 * RUNNING; {@link #stop} is StopTask. The task's container gets the whole launch environment
 * (PRAAS_* variables: control plane, process id, token, object store, snapshot to restore) plus
 * {@code PRAAS_HOST=0.0.0.0} and {@code PRAAS_PORT} = the data-plane port; the process then dials the
 * control plane and registers with its task's address.
 *
 * <pre>{@code
 * try (ProcessBackend fargate = new FargateBackend(FargateSettings.from(Map.of("cluster", "praas",
 *         "task-definition", "praas-process", "subnets", "subnet-0abc")))) {
 *     BackendHandle task = fargate.start(spec).toCompletableFuture().join();   // RUNNING
 *     fargate.stop(task).toCompletableFuture().join();                         // StopTask
 * }
 * }</pre>
 *
 * <p>{@code start} completes once the task is RUNNING (within {@code start-timeout-seconds}); the
 * handle's id is the task ARN and its {@code address} attribute the task's private IP. Failures are
 * {@link BackendException}s: PERMISSION for IAM refusals, CAPACITY for Fargate capacity and ECS
 * limits, INVALID_REQUEST for sizes beyond Fargate's and parameters ECS refuses, FAILED otherwise
 * (with the task's stop reason).
 */
public final class FargateBackend implements ProcessBackend {
    private static final Logger LOG = LoggerFactory.getLogger(FargateBackend.class);
    /** ECS refuses container overrides over 8192 characters; leave room for the JSON around them. */
    static final int MAX_OVERRIDE_CHARS = 8000;

    private final FargateSettings settings;
    private final EcsClient ecs;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "praas-fargate");
        t.setDaemon(true);
        return t;
    });

    /** A backend with its own ECS client built from {@code settings}. */
    public FargateBackend(FargateSettings settings) {
        this(settings, client(settings));
    }

    /** A backend on the given client (closed with this backend). */
    public FargateBackend(FargateSettings settings, EcsClient ecs) {
        this.settings = settings;
        this.ecs = ecs;
    }

    /** An ECS client for these settings: URL-connection HTTP, the region, endpoint and credentials given. */
    public static EcsClient client(FargateSettings settings) {
        return client(settings.region(), settings.endpoint(), settings.accessKey(), settings.secretKey());
    }

    /**
     * An ECS client over URL-connection HTTP.
     *
     * @param region    null: the SDK's default chain (AWS_REGION, profile)
     * @param endpoint  null: AWS's endpoint
     * @param accessKey empty or null: the SDK's default credentials chain
     */
    public static EcsClient client(String region, java.net.URI endpoint, String accessKey, String secretKey) {
        EcsClientBuilder b = EcsClient.builder().httpClient(UrlConnectionHttpClient.create());
        if (region != null) {
            b.region(Region.of(region));
        }
        if (endpoint != null) {
            b.endpointOverride(endpoint);
        }
        b.credentialsProvider(accessKey == null || accessKey.isEmpty() ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
        return b.build();
    }

    @Override
    public String name() {
        return "fargate";
    }

    @Override
    public Resources caps() {
        return FargateSize.MAX;
    }

    @Override
    public CompletionStage<BackendHandle> start(LaunchSpec spec) {
        return CompletableFuture.supplyAsync(() -> run(spec), executor);
    }

    private BackendHandle run(LaunchSpec spec) {
        String key = spec.application() + "/" + spec.processId();
        FargateSize size = FargateSize.fitting(spec.resources());
        List<KeyValuePair> env = environment(spec).entrySet().stream()
                .map(e -> KeyValuePair.builder().name(e.getKey()).value(e.getValue()).build())
                .toList();
        int chars = env.stream().mapToInt(kv -> kv.name().length() + kv.value().length() + 30).sum();
        if (chars > MAX_OVERRIDE_CHARS) {
            throw new BackendException(Reason.INVALID_REQUEST, "the environment of process " + key + " is about "
                    + chars + " characters; ECS accepts at most 8192 in a task's overrides");
        }
        RunTaskRequest.Builder request = RunTaskRequest.builder()
                .cluster(settings.cluster())
                .taskDefinition(settings.taskDefinition())
                .launchType(LaunchType.FARGATE)
                .count(1)
                .startedBy("praas")
                .networkConfiguration(NetworkConfiguration.builder().awsvpcConfiguration(AwsVpcConfiguration.builder()
                        .subnets(settings.subnets())
                        .securityGroups(settings.securityGroups())
                        .assignPublicIp(settings.assignPublicIp() ? AssignPublicIp.ENABLED : AssignPublicIp.DISABLED)
                        .build()).build())
                .overrides(TaskOverride.builder()
                        .cpu(Integer.toString(size.cpuUnits()))
                        .memory(Integer.toString(size.memoryMiB()))
                        .containerOverrides(ContainerOverride.builder().name(settings.container()).environment(env).build())
                        .build());
        if (settings.platformVersion() != null) {
            request.platformVersion(settings.platformVersion());
        }
        RunTaskResponse response = call("RunTask", key, () -> ecs.runTask(request.build()));
        if (response.tasks().isEmpty()) {
            throw runTaskFailure(key, response.failures());
        }
        String arn = response.tasks().get(0).taskArn();
        LOG.info("process {}: task {} started on cluster {} ({} CPU units, {} MiB)", key, arn, settings.cluster(),
                size.cpuUnits(), size.memoryMiB());
        Task running = awaitRunning(key, arn);
        String address = privateAddress(running).orElse("");
        LOG.info("process {}: task {} RUNNING at {}", key, arn, address.isEmpty() ? "(no address reported)" : address);
        return new BackendHandle(name(), arn, Map.of("cluster", settings.cluster(), "address", address));
    }

    /** The launch environment for the task's container (sorted, so requests read alike). */
    Map<String, String> environment(LaunchSpec spec) {
        Map<String, String> env = spec.containerEnvironment(settings.dataPort(), settings.controlPlane());
        return env;
    }

    private Task awaitRunning(String key, String arn) {
        long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        String last = "(not described yet)";
        while (true) {
            DescribeTasksResponse d;
            try {
                d = call("DescribeTasks", key, () -> ecs.describeTasks(r -> r.cluster(settings.cluster()).tasks(arn)));
            } catch (BackendException e) {
                if (e.reason() == Reason.CAPACITY && System.nanoTime() < deadline) {
                    // Throttled (after the SDK's own retries): the task still starts; ask again.
                    LOG.debug("process {}: DescribeTasks throttled; asking again", key);
                    d = null;
                } else {
                    // The task runs on whatever went wrong here: it must not be left to register.
                    stopQuietly(arn, "its start failed: " + e.getMessage());
                    throw e;
                }
            }
            if (d == null) {
                pause(key, arn);
                continue;
            }
            // A task just started may be MISSING for a moment (eventual consistency): ask again.
            if (!d.tasks().isEmpty()) {
                Task t = d.tasks().get(0);
                last = t.lastStatus();
                if ("RUNNING".equals(last)) {
                    return t;
                }
                if ("STOPPED".equals(last)) {
                    throw stopped(key, t);
                }
            }
            if (System.nanoTime() > deadline) {
                stopQuietly(arn, "did not reach RUNNING in time");
                throw new BackendException(Reason.FAILED, "task " + arn + " of process " + key + " did not reach RUNNING within "
                        + settings.startTimeout().toSeconds() + " s (last status " + last + "); it was stopped");
            }
            pause(key, arn);
        }
    }

    /** Waits a poll interval; interrupted, stops the task and fails its start. */
    private void pause(String key, String arn) {
        try {
            Thread.sleep(settings.pollInterval().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopQuietly(arn, "start interrupted");
            throw new BackendException(Reason.FAILED, "interrupted while waiting for task " + arn + " of " + key);
        }
    }

    /** The private IPv4 address of the task's elastic network interface. */
    static Optional<String> privateAddress(Task task) {
        return task.attachments().stream()
                .filter(a -> "ElasticNetworkInterface".equals(a.type()))
                .flatMap(a -> a.details().stream())
                .filter(kv -> "privateIPv4Address".equals(kv.name()) && kv.value() != null)
                .map(KeyValuePair::value)
                .findFirst();
    }

    private static BackendException runTaskFailure(String key, List<Failure> failures) {
        String reasons = failures.stream()
                .map(f -> f.reason() + (f.detail() == null ? "" : " (" + f.detail() + ")"))
                .reduce((a, b) -> a + "; " + b).orElse("no task and no failure reported");
        String lower = reasons.toLowerCase(Locale.ROOT);
        Reason reason = lower.contains("capacity") || lower.startsWith("resource") || lower.contains("; resource")
                ? Reason.CAPACITY
                : lower.contains("access") || lower.contains("not authorized") ? Reason.PERMISSION : Reason.FAILED;
        return new BackendException(reason, "ECS could not start a task for process " + key + ": " + reasons
                + (reason == Reason.CAPACITY ? "; retry later or add subnets in other availability zones" : ""));
    }

    private static BackendException stopped(String key, Task t) {
        StringBuilder why = new StringBuilder(t.stoppedReason() == null ? "no reason given" : t.stoppedReason());
        if (t.stopCodeAsString() != null) {
            why.append(" [").append(t.stopCodeAsString()).append(']');
        }
        t.containers().stream().filter(c -> c.reason() != null)
                .forEach(c -> why.append("; container ").append(c.name()).append(": ").append(c.reason()));
        String lower = why.toString().toLowerCase(Locale.ROOT);
        Reason reason = lower.contains("capacity") ? Reason.CAPACITY
                : lower.contains("accessdenied") || lower.contains("not authorized") ? Reason.PERMISSION : Reason.FAILED;
        String hint = lower.contains("cannotpullcontainer")
                ? " (can the task pull its image? check the execution role and the subnets' route to the registry)" : "";
        return new BackendException(reason, "task " + t.taskArn() + " of process " + key + " stopped before it ran: "
                + why + hint);
    }

    /** Calls ECS, turning its errors into {@link BackendException}s that say what to do. */
    private <T> T call(String action, String key, Supplier<T> call) {
        try {
            return call.get();
        } catch (AccessDeniedException e) {
            throw permission(action, key, e);
        } catch (ClusterNotFoundException e) {
            throw new BackendException(Reason.FAILED, "ECS cluster '" + settings.cluster() + "' not found (" + action
                    + " for " + key + "): create it or fix the 'cluster' setting", e);
        } catch (InvalidParameterException e) {
            throw new BackendException(Reason.INVALID_REQUEST, "ECS refused " + action + " for " + key + ": "
                    + message(e), e);
        } catch (LimitExceededException e) {
            throw new BackendException(Reason.CAPACITY, "ECS limit reached (" + action + " for " + key + "): "
                    + message(e) + "; retry later", e);
        } catch (EcsException e) {
            String code = e.awsErrorDetails() == null ? "" : String.valueOf(e.awsErrorDetails().errorCode());
            if (e.statusCode() == 403 || code.contains("AccessDenied") || code.contains("Unauthorized")
                    || message(e).contains("not authorized")) {
                throw permission(action, key, e);
            }
            if (code.contains("Throttl")) {
                throw new BackendException(Reason.CAPACITY, "ECS throttled " + action + " for " + key + "; retry later", e);
            }
            throw new BackendException(Reason.FAILED, "ECS " + action + " for " + key + " failed: " + code + " "
                    + message(e), e);
        } catch (SdkClientException e) {
            throw new BackendException(Reason.FAILED, "cannot reach ECS for " + action + " (" + key + "): "
                    + e.getMessage(), e);
        }
    }

    private static BackendException permission(String action, String key, EcsException e) {
        return new BackendException(Reason.PERMISSION, "ECS denied " + action + " for " + key + ": " + message(e)
                + " (the control plane's IAM identity needs ecs:RunTask, ecs:DescribeTasks, ecs:StopTask and "
                + "iam:PassRole on the task definition's roles; see docs/DEPLOY-FARGATE.md)", e);
    }

    private static String message(EcsException e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null
                ? e.awsErrorDetails().errorMessage() : String.valueOf(e.getMessage());
    }

    @Override
    public CompletionStage<Void> stop(BackendHandle handle) {
        return CompletableFuture.runAsync(() -> {
            String cluster = handle.attributes().getOrDefault("cluster", settings.cluster());
            try {
                call("StopTask", handle.id(), () -> ecs.stopTask(r -> r.cluster(cluster).task(handle.id())
                        .reason("stopped by the PraaS control plane")));
                LOG.info("task {} stopping", handle.id());
            } catch (BackendException e) {
                // Stopping a task ECS no longer knows is done already.
                if (e.reason() != Reason.INVALID_REQUEST || !e.getMessage().toLowerCase(Locale.ROOT).contains("not found")) {
                    throw e;
                }
            }
        }, executor);
    }

    private void stopQuietly(String arn, String why) {
        try {
            ecs.stopTask(r -> r.cluster(settings.cluster()).task(arn).reason("PraaS: " + why));
        } catch (RuntimeException e) {
            LOG.warn("could not stop task {} ({}): {}", arn, why, e.toString());
        }
    }

    /**
     * Closes the ECS client once the starts under way have ended (an interrupted one stops its task
     * first); tasks keep running (each stops when its control channel is lost).
     */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warn("starts still under way after 10 s; closing the ECS client");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ecs.close();
    }
}
