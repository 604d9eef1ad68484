package io.praas.deploy.knative;

import io.praas.backend.Resources;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Settings of the Knative backend, from {@code --backend-setting key=value} or {@code PRAAS_KNATIVE_*}
 * variables (see docs/DEPLOY-KNATIVE.md for each).
 *
 * <pre>{@code
 * KnativeSettings s = KnativeSettings.from(Map.of("namespace", "praas-processes",
 *         "image", "registry.example/praas-process:0.1.0"));
 * }</pre>
 *
 * @param namespace           where the processes' Services go
 * @param image               the process container image (docs/IMAGE.md)
 * @param serviceAccount      the processes' service account (null: the namespace's default)
 * @param containerConcurrency Knative's containerConcurrency of each Service (0 = unlimited; the
 *                            data plane does not go through Knative's proxy, so this only bounds
 *                            HTTP requests routed by Knative)
 * @param dataPort            the process's data-plane port in the container
 * @param readyTimeout        how long a Service may take to become Ready
 * @param pollInterval        how often its status is read while waiting
 * @param controlPlane        host:port the processes dial instead of the control plane's own address
 *                            (a Kubernetes Service of the control plane); null = the address it gives
 * @param advertisePodIp      put the pod's IP in PRAAS_ADVERTISE_HOST through the downward API
 *                            (needs Knative's {@code kubernetes.podspec-fieldref} feature); false: the
 *                            process announces its own non-loopback address
 * @param imagePullPolicy     Always, IfNotPresent or Never (null: Kubernetes' default)
 * @param caps                the largest resources of one process
 */
public record KnativeSettings(String namespace, String image, String serviceAccount, long containerConcurrency,
                              int dataPort, Duration readyTimeout, Duration pollInterval, String controlPlane,
                              boolean advertisePodIp, String imagePullPolicy, Resources caps) {

    /** Every setting's key. */
    public static final Set<String> KEYS = Set.of("namespace", "image", "service-account", "container-concurrency",
            "data-port", "ready-timeout-seconds", "poll-interval-ms", "control-plane", "advertise-pod-ip",
            "image-pull-policy", "max-vcpu", "max-memory-mib");

    public KnativeSettings {
        if (namespace == null || namespace.isBlank()) {
            throw new IllegalArgumentException("knative backend: namespace must not be empty");
        }
        if (image == null || image.isBlank()) {
            throw new IllegalArgumentException("knative backend: setting 'image' is required (--backend-setting image=... "
                    + "or PRAAS_KNATIVE_IMAGE): the process container image, see docs/IMAGE.md");
        }
        if (containerConcurrency < 0 || dataPort < 1 || dataPort > 65535) {
            throw new IllegalArgumentException("knative backend: container-concurrency must be >= 0 and data-port in 1..65535");
        }
        if (readyTimeout.isNegative() || readyTimeout.isZero() || pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("knative backend: ready-timeout-seconds and poll-interval-ms must be positive");
        }
        if (controlPlane != null && !controlPlane.matches("[^:\\s]+:\\d{1,5}")) {
            throw new IllegalArgumentException("knative backend: control-plane must be host:port: " + controlPlane);
        }
        if (imagePullPolicy != null && !Set.of("Always", "IfNotPresent", "Never").contains(imagePullPolicy)) {
            throw new IllegalArgumentException("knative backend: image-pull-policy must be Always, IfNotPresent or Never");
        }
    }

    /**
     * Settings from kebab-case keys; defaults: namespace {@code default}, containerConcurrency 0,
     * data port 8000, Ready within 50 s (the control plane allows a backend 60 s to start a process),
     * status read every second, caps 4 vCPU / 8192 MiB.
     *
     * @throws IllegalArgumentException naming a missing, unknown or malformed setting
     */
    public static KnativeSettings from(Map<String, String> settings) {
        Set<String> unknown = new TreeSet<>(settings.keySet());
        unknown.removeAll(KEYS);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("knative backend: unknown settings " + unknown + "; known: " + new TreeSet<>(KEYS));
        }
        Map<String, String> s = new HashMap<>();
        settings.forEach((k, v) -> {
            if (v != null && !v.isBlank()) {
                s.put(k, v.strip());
            }
        });
        String podIp = s.getOrDefault("advertise-pod-ip", "false").toLowerCase(Locale.ROOT);
        if (!podIp.equals("true") && !podIp.equals("false")) {
            throw new IllegalArgumentException("knative backend: advertise-pod-ip must be true or false: " + podIp);
        }
        try {
            return new KnativeSettings(s.getOrDefault("namespace", "default"), s.get("image"), s.get("service-account"),
                    Long.parseLong(s.getOrDefault("container-concurrency", "0")),
                    Integer.parseInt(s.getOrDefault("data-port", "8000")),
                    Duration.ofSeconds(Long.parseLong(s.getOrDefault("ready-timeout-seconds", "50"))),
                    Duration.ofMillis(Long.parseLong(s.getOrDefault("poll-interval-ms", "1000"))),
                    s.get("control-plane"), podIp.equals("true"), s.get("image-pull-policy"),
                    new Resources(Double.parseDouble(s.getOrDefault("max-vcpu", "4")),
                            Integer.parseInt(s.getOrDefault("max-memory-mib", "8192"))));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("knative backend: a numeric setting is not a number: " + e.getMessage(), e);
        }
    }
}
