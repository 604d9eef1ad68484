package io.praas.deploy.knative;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The manifests in knative-deploy/k8s parse as Kubernetes objects and fit together. */
class KubernetesManifestsTest {
    private final KubernetesClient client = new KubernetesClientBuilder().build(); // parses only, never connects

    @AfterEach
    void close() {
        client.close();
    }

    private List<HasMetadata> manifests() throws IOException {
        List<HasMetadata> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("k8s"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    all.addAll(client.load(in).items());
                }
            }
        }
        return all;
    }

    private <T extends HasMetadata> T one(Class<T> type, String name) throws IOException {
        return manifests().stream().filter(type::isInstance).map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void theControlPlaneRunsTheKnativeBackendAndFindsItsPeersThroughKubernetes() throws IOException {
        StatefulSet cp = one(StatefulSet.class, "praas-control-plane");
        Map<String, EnvVar> env = new HashMap<>();
        cp.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().forEach(e -> env.put(e.getName(), e));

        assertThat(env.get("PRAAS_BACKEND").getValue()).isEqualTo("knative");
        assertThat(env.get("PRAAS_HAZELCAST_KUBERNETES").getValue()).isEqualTo("true");
        assertThat(env.get("PRAAS_HOST").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        assertThat(env).containsKeys("PRAAS_KNATIVE_IMAGE", "PRAAS_KNATIVE_NAMESPACE", "PRAAS_S3_BUCKET", "PRAAS_ADMIN_KEY");
        assertThat(KnativeSettings.KEYS).contains(env.keySet().stream().filter(k -> k.startsWith("PRAAS_KNATIVE_"))
                .map(k -> k.substring("PRAAS_KNATIVE_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .toArray(String[]::new));
        assertThat(cp.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("praas-control-plane");

        Service hazelcast = one(Service.class, env.get("PRAAS_HAZELCAST_KUBERNETES_SERVICE_NAME").getValue());
        assertThat(hazelcast.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(hazelcast.getSpec().getSelector()).isEqualTo(cp.getSpec().getSelector().getMatchLabels());
        assertThat(hazelcast.getSpec().getPorts().get(0).getPort()).isEqualTo(Integer.parseInt(env.get("PRAAS_HAZELCAST_PORT").getValue()));
    }

    @Test
    void theControlPlanesRoleManagesKnativeServicesAndReadsPodsAndEndpoints() throws IOException {
        Role role = one(Role.class, "praas-control-plane");

        assertThat(role.getRules()).anySatisfy(r -> {
            assertThat(r.getApiGroups()).containsExactly("serving.knative.dev");
            assertThat(r.getResources()).containsExactly("services");
            assertThat(r.getVerbs()).contains("create", "get", "delete", "watch");
        });
        assertThat(role.getRules()).anySatisfy(r -> {
            assertThat(r.getResources()).contains("endpoints", "pods");
            assertThat(r.getVerbs()).contains("list", "watch");
        });
    }
}
