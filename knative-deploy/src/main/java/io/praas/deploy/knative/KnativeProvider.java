package io.praas.deploy.knative;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.praas.backend.BackendProvider;
import io.praas.backend.ProcessBackend;

import java.util.Map;

/**
 * The {@code knative} backend for {@code praas up --backend knative}, found through
 * {@link java.util.ServiceLoader}. The Kubernetes client configures itself: in a pod from its
 * service account, elsewhere from {@code ~/.kube/config} or {@code KUBECONFIG}.
 *
 * <pre>{@code
 * ProcessBackend b = new KnativeProvider().create(Map.of("namespace", "praas", "image", "registry/praas-process:0.1.0"));
 * }</pre>
 */
public final class KnativeProvider implements BackendProvider {
    @Override
    public String name() {
        return "knative";
    }

    @Override
    public ProcessBackend create(Map<String, String> settings) {
        KnativeSettings s = KnativeSettings.from(settings);
        return new KnativeBackend(s, new KubernetesClientBuilder().build(), true);
    }
}
