package io.praas.backend;

import java.io.Serializable;
import java.util.Map;

/**
 * A backend's reference to a started process (an OS pid, an ECS task ARN, a Knative Service), kept
 * in the control plane's registry so any node can stop it.
 *
 * @param backend    the backend's name
 * @param id         its id of the process
 * @param attributes anything else it needs later
 */
public record BackendHandle(String backend, String id, Map<String, String> attributes) implements Serializable {
    public BackendHandle {
        attributes = Map.copyOf(attributes);
    }
}
