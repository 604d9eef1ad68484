package io.praas.backend;

import java.util.Map;
import java.util.Objects;

/**
 * Everything a backend needs to start one process. The process dials {@code controlPlane} and
 * registers with {@code controlToken}; its environment carries the settings in {@code environment}
 * (PRAAS_* variables: application, process id, secret, code location, ...).
 *
 * @param application  the application
 * @param processId    the process id, unique within the application
 * @param resources    what it may use (already checked against {@link ProcessBackend#caps()})
 * @param codeLocation where the application code is: a local jar path for the local backend, an
 *                     {@code s3://bucket/key} URI or an image for the cloud backends
 * @param environment  environment variables for the process runtime
 */
public record LaunchSpec(String application, String processId, Resources resources, String codeLocation,
                         Map<String, String> environment) {
    public LaunchSpec {
        Objects.requireNonNull(application, "application");
        Objects.requireNonNull(processId, "processId");
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(codeLocation, "codeLocation");
        environment = Map.copyOf(environment);
    }

    /**
     * The environment for the process in a container of its own (a task, a pod), sorted so that
     * requests read alike: this spec's, with the data plane bound to every interface on
     * {@code dataPort}, the control plane at {@code controlPlane} when given (host:port as the
     * containers reach it), and the code at {@code PRAAS_APP_CODE} when it is an {@code s3://} URI.
     */
    public java.util.SortedMap<String, String> containerEnvironment(int dataPort, String controlPlane) {
        java.util.SortedMap<String, String> env = new java.util.TreeMap<>(environment);
        env.put("PRAAS_HOST", "0.0.0.0");
        env.put("PRAAS_PORT", Integer.toString(dataPort));
        if (controlPlane != null) {
            env.put("PRAAS_CONTROL_PLANE", controlPlane);
        }
        if (codeLocation.startsWith("s3://")) {
            env.putIfAbsent("PRAAS_APP_CODE", codeLocation);
        }
        return env;
    }
}
