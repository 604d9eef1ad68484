package io.praas.controlplane;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.praas.backend.ProcessBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which backend a node runs, and how it joins its cluster (no node is started). */
class BackendSelectionTest {
    @TempDir
    Path dir;

    @Test
    void aSwapTimeoutNoLongerThanTheDrainTimeoutIsRefused() {
        assertThatThrownBy(() -> ControlPlaneConfig.defaults(dir).with(Map.of("swapDrainTimeout",
                java.time.Duration.ofSeconds(30), "swapTimeout", java.time.Duration.ofSeconds(30))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("swap drain timeout");
        assertThat(ControlPlaneConfig.defaults(dir).with(Map.of("swapDrainTimeout", java.time.Duration.ofSeconds(30)))
                .swapDrainTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
    }

    @Test
    void localIsTheDefaultBackend() {
        try (ProcessBackend backend = ControlPlane.createBackend(ControlPlaneConfig.defaults(dir))) {
            assertThat(backend.name()).isEqualTo("local");
        }
    }

    @Test
    void anUnknownBackendIsRefusedWithTheKnownOnes() {
        ControlPlaneConfig config = ControlPlaneConfig.defaults(dir).with(Map.of("backend", "nimbus"));
        assertThatThrownBy(() -> ControlPlane.createBackend(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown backend 'nimbus'; known here: local");
    }

    @Test
    void theLocalBackendTakesOnlyItsStandbyCount() {
        assertThatThrownBy(() -> ControlPlaneConfig.defaults(dir).with(Map.of("backendSettings", Map.of("cluster", "x"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the local backend takes one backend setting, standby-jvms")
                .hasMessageContaining("cluster");
        ControlPlaneConfig none = ControlPlaneConfig.defaults(dir).with(Map.of("backendSettings",
                Map.of("standby-jvms", "0")));
        try (ProcessBackend backend = ControlPlane.createBackend(none)) {
            assertThat(((io.praas.controlplane.backend.LocalBackend) backend).standbysPerShape()).isZero();
        }
        try (ProcessBackend backend = ControlPlane.createBackend(ControlPlaneConfig.defaults(dir))) {
            assertThat(((io.praas.controlplane.backend.LocalBackend) backend).standbysPerShape()).isEqualTo(1);
        }
        for (String bad : java.util.List.of("-1", "9", "many")) {
            ControlPlaneConfig config = ControlPlaneConfig.defaults(dir).with(Map.of("backendSettings",
                    Map.of("standby-jvms", bad)));
            assertThatThrownBy(() -> ControlPlane.createBackend(config)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("standby-jvms must be")
                    .hasMessageContaining("0..8");
        }
    }

    @Test
    void theDefaultJoinIsTcpIpToNoOne() {
        // Joinable by nodes started with --join, joining no one itself (ClusterTest starts two on one port).
        JoinConfig join = ControlPlane.hazelcastConfig(ControlPlaneConfig.defaults(dir), "n1").getNetworkConfig().getJoin();
        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getTcpIpConfig().getMembers()).isEmpty();
        assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    }

    @Test
    void kubernetesDiscoveryReplacesTcpIp() {
        ControlPlaneConfig config = ControlPlaneConfig.defaults(dir).with(Map.of("kubernetesJoin",
                new ControlPlaneConfig.KubernetesJoin("praas", "praas-hazelcast")));
        Config c = ControlPlane.hazelcastConfig(config, "n1");
        JoinConfig join = c.getNetworkConfig().getJoin();
        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperties()).containsEntry("namespace", "praas")
                .containsEntry("service-name", "praas-hazelcast").containsEntry("service-port", "5901");
    }

    @Test
    void kubernetesDiscoveryAndJoinMembersExcludeEachOther() {
        assertThatThrownBy(() -> ControlPlaneConfig.defaults(dir).with(Map.of("join", java.util.List.of("10.0.0.1:5901"),
                "kubernetesJoin", new ControlPlaneConfig.KubernetesJoin(null, null))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exclude each other");
    }

    @Test
    void journalDurabilityIsRefusedOnABackendWhoseRestartsLoseTheJournal(@TempDir Path data) {
        ProcessBackend freshStorage = new StubBackend("fresh-storage") { // a restart is a new task or pod, as on Fargate
            @Override
            public java.util.concurrent.CompletionStage<io.praas.backend.BackendHandle> start(io.praas.backend.LaunchSpec spec) {
                return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("not started here"));
            }
        };
        try (ControlPlane node = ControlPlane.start(ControlPlanes.options(data).config(), freshStorage)) {
            Api admin = Api.admin(node);

            Api.Reply journaled = admin.post("/v1/applications", Map.of("name", "ledger", "durability", "journal"));

            Api.assertJsonError(journaled, 400, "INVALID_ARGUMENT");
            assertThat(journaled.json().path("message").asText()).contains("journal").contains("restart");
            assertThat(admin.post("/v1/applications", Map.of("name", "notes", "durability", "memory")).status())
                    .isEqualTo(201);
        }
    }
}
