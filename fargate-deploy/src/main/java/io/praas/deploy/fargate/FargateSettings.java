package io.praas.deploy.fargate;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Settings of the Fargate backend, from {@code --backend-setting key=value} or {@code PRAAS_FARGATE_*}
 * variables (see docs/DEPLOY-FARGATE.md for each).
 *
 * <pre>{@code
 * FargateSettings s = FargateSettings.from(Map.of("cluster", "praas", "task-definition", "praas-process",
 *         "subnets", "subnet-0abc,subnet-0def", "security-groups", "sg-0123"));
 * }</pre>
 *
 * @param cluster         the ECS cluster (name or ARN)
 * @param taskDefinition  the task definition (family, family:revision or ARN), registered with
 *                        {@code ./praas fargate register-task-definition}
 * @param container       the name of the process's container in it
 * @param subnets         subnets of the tasks' network interfaces (awsvpc)
 * @param securityGroups  their security groups (empty: the VPC's default group)
 * @param assignPublicIp  whether the tasks get a public IP (needed in public subnets without a NAT
 *                        to pull the image)
 * @param region          the AWS region (null: the SDK's default chain)
 * @param endpoint        an ECS endpoint instead of AWS's (tests, VPC endpoints); null = AWS's
 * @param platformVersion Fargate platform version (null = LATEST)
 * @param dataPort        the process's data-plane port inside the task
 * @param startTimeout    how long a task may take to reach RUNNING
 * @param pollInterval    how often DescribeTasks is asked while waiting
 * @param controlPlane    host:port the processes dial instead of the control plane's own address
 *                        (its load balancer or private IP); null = the address the control plane gives
 * @param accessKey       static credentials (empty: the AWS default chain)
 * @param secretKey       static credentials
 */
public record FargateSettings(String cluster, String taskDefinition, String container, List<String> subnets,
                              List<String> securityGroups, boolean assignPublicIp, String region, URI endpoint,
                              String platformVersion, int dataPort, Duration startTimeout, Duration pollInterval,
                              String controlPlane, String accessKey, String secretKey) {

    /** Every setting's key. */
    public static final Set<String> KEYS = Set.of("cluster", "task-definition", "container", "subnets",
            "security-groups", "assign-public-ip", "region", "endpoint", "platform-version", "data-port",
            "start-timeout-seconds", "poll-interval-ms", "control-plane", "access-key", "secret-key");

    public FargateSettings {
        require(cluster, "cluster");
        require(taskDefinition, "task-definition");
        require(container, "container");
        subnets = List.copyOf(subnets);
        securityGroups = List.copyOf(securityGroups);
        if (subnets.isEmpty()) {
            throw new IllegalArgumentException("fargate backend: setting 'subnets' is required (PRAAS_FARGATE_SUBNETS=subnet-a,subnet-b)");
        }
        if (dataPort < 1 || dataPort > 65535) {
            throw new IllegalArgumentException("fargate backend: data-port must be in 1..65535: " + dataPort);
        }
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(pollInterval, "pollInterval");
        if (startTimeout.isNegative() || startTimeout.isZero() || pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("fargate backend: start-timeout-seconds and poll-interval-ms must be positive");
        }
        if (controlPlane != null && !controlPlane.matches("[^:\\s]+:\\d{1,5}")) {
            throw new IllegalArgumentException("fargate backend: control-plane must be host:port: " + controlPlane);
        }
        accessKey = accessKey == null ? "" : accessKey;
        secretKey = secretKey == null ? "" : secretKey;
    }

    /**
     * Settings from kebab-case keys; defaults: container {@code praas}, no public IP, data port 8000,
     * start timeout 50 s (the control plane allows a backend 60 s to start a process), polls every 1 s.
     *
     * @throws IllegalArgumentException naming a missing, unknown or malformed setting
     */
    public static FargateSettings from(Map<String, String> settings) {
        Set<String> unknown = new TreeSet<>(settings.keySet());
        unknown.removeAll(KEYS);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("fargate backend: unknown settings " + unknown + "; known: " + new TreeSet<>(KEYS));
        }
        Map<String, String> s = new HashMap<>();
        settings.forEach((k, v) -> {
            if (v != null && !v.isBlank()) {
                s.put(k, v.strip());
            }
        });
        String publicIp = s.getOrDefault("assign-public-ip", "false").toLowerCase(java.util.Locale.ROOT);
        if (!Set.of("true", "false", "enabled", "disabled").contains(publicIp)) {
            throw new IllegalArgumentException("fargate backend: assign-public-ip must be true or false: " + publicIp);
        }
        return new FargateSettings(s.get("cluster"), s.get("task-definition"), s.getOrDefault("container", "praas"),
                list(s.get("subnets")), list(s.get("security-groups")),
                publicIp.equals("true") || publicIp.equals("enabled"), s.get("region"),
                s.containsKey("endpoint") ? URI.create(s.get("endpoint")) : null, s.get("platform-version"),
                integer(s, "data-port", 8000), Duration.ofSeconds(integer(s, "start-timeout-seconds", 50)),
                Duration.ofMillis(integer(s, "poll-interval-ms", 1000)), s.get("control-plane"),
                s.get("access-key"), s.get("secret-key"));
    }

    private static List<String> list(String csv) {
        return csv == null ? List.of() : Arrays.stream(csv.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
    }

    private static int integer(Map<String, String> s, String key, int fallback) {
        try {
            return s.containsKey(key) ? Integer.parseInt(s.get(key)) : fallback;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("fargate backend: " + key + " must be a whole number: " + s.get(key));
        }
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("fargate backend: setting '" + key + "' is required (--backend-setting "
                    + key + "=... or PRAAS_FARGATE_" + key.toUpperCase(java.util.Locale.ROOT).replace('-', '_') + ")");
        }
    }
}
