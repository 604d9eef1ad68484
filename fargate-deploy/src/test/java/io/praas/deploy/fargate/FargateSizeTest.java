package io.praas.deploy.fargate;

import io.praas.backend.BackendException;
import io.praas.backend.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FargateSizeTest {

    @ParameterizedTest(name = "{0} vCPU / {1} MiB -> {2} units / {3} MiB")
    @CsvSource({
            "0.25, 128, 256, 512",
            "0.25, 512, 256, 512",
            "0.25, 600, 256, 1024",
            "0.25, 1100, 256, 2048",
            "0.25, 2049, 512, 3072",
            "0.5, 512, 512, 1024",
            "1, 512, 1024, 2048",
            "1, 2500, 1024, 3072",
            "1, 9000, 2048, 9216",
            "1.5, 4096, 2048, 4096",
            "3, 8192, 4096, 8192",
            "4, 30720, 4096, 30720",
            "4, 30721, 8192, 32768",
            "8, 16385, 8192, 20480",
            "16, 32768, 16384, 32768",
            "12, 40000, 16384, 40960",
            "16, 122880, 16384, 122880",
    })
    void resourcesRoundUpToTheSmallestFargateSize(double vcpu, int memory, int cpuUnits, int memoryMiB) {
        assertThat(FargateSize.fitting(new Resources(vcpu, memory))).isEqualTo(new FargateSize(cpuUnits, memoryMiB));
    }

    @Test
    void onlyFargatesCombinationsAreValid() {
        assertThat(FargateSize.valid(256, 1536)).isFalse();
        assertThat(FargateSize.valid(256, 2048)).isTrue();
        assertThat(FargateSize.valid(512, 4096)).isTrue();
        assertThat(FargateSize.valid(512, 5120)).isFalse();
        assertThat(FargateSize.valid(8192, 20480)).isTrue();
        assertThat(FargateSize.valid(8192, 17408)).isFalse();
        assertThat(FargateSize.valid(768, 2048)).isFalse();
        assertThatThrownBy(() -> new FargateSize(1024, 1024)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void moreThanTheLargestTaskIsAnInvalidRequest() {
        assertThatThrownBy(() -> FargateSize.fitting(new Resources(17, 2048)))
                .isInstanceOfSatisfying(BackendException.class,
                        e -> assertThat(e.reason()).isEqualTo(BackendException.Reason.INVALID_REQUEST));
        assertThatThrownBy(() -> FargateSize.fitting(new Resources(1, 122881))).isInstanceOf(BackendException.class);
    }
}
