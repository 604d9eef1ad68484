package io.praas.deploy.fargate;

import io.praas.backend.BackendException;
import io.praas.backend.Resources;

/**
 * A Fargate task size: CPU units (1024 = 1 vCPU) and memory in MiB, one of the combinations
 * Fargate accepts. {@link #fitting(Resources)} rounds a process's resources <em>up</em> to the
 * smallest such combination; resources beyond the largest (16 vCPU, 120 GiB) are refused.
 *
 * <pre>{@code
 * FargateSize s = FargateSize.fitting(new Resources(1.0, 512));   // 1024 CPU units, 2048 MiB
 * }</pre>
 *
 * @param cpuUnits  CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384
 * @param memoryMiB memory in MiB, valid for {@code cpuUnits}
 */
public record FargateSize(int cpuUnits, int memoryMiB) {
    /** Memory sizes of 0.25 vCPU: a list, not a range (no 1536). */
    private static final int[] QUARTER_VCPU_MEMORY = {512, 1024, 2048};
    /** Per CPU size from 0.5 vCPU: the smallest memory, the largest, and the step between them. */
    private static final int[][] COMBINATIONS = {
            {512, 1024, 4096, 1024},
            {1024, 2048, 8192, 1024},
            {2048, 4096, 16384, 1024},
            {4096, 8192, 30720, 1024},
            {8192, 16384, 61440, 4096},
            {16384, 32768, 122880, 8192},
    };

    /** The largest task Fargate runs: 16 vCPU, 120 GiB. */
    public static final Resources MAX = new Resources(16, 122880);

    public FargateSize {
        if (!valid(cpuUnits, memoryMiB)) {
            throw new IllegalArgumentException(cpuUnits + " CPU units with " + memoryMiB + " MiB is not a Fargate size");
        }
    }

    /** True when Fargate accepts this combination. */
    public static boolean valid(int cpuUnits, int memoryMiB) {
        if (cpuUnits == 256) {
            return java.util.Arrays.stream(QUARTER_VCPU_MEMORY).anyMatch(m -> m == memoryMiB);
        }
        for (int[] c : COMBINATIONS) {
            if (c[0] == cpuUnits) {
                return memoryMiB >= c[1] && memoryMiB <= c[2] && (memoryMiB - c[1]) % c[3] == 0;
            }
        }
        return false;
    }

    /**
     * The smallest Fargate size with at least {@code r}'s vCPU and memory.
     *
     * @throws BackendException {@code INVALID_REQUEST} when no Fargate size is that large
     */
    public static FargateSize fitting(Resources r) {
        int wantCpu = (int) Math.ceil(r.vcpu() * 1024 - 1e-6);
        if (wantCpu <= 256) {
            for (int m : QUARTER_VCPU_MEMORY) {
                if (m >= r.memoryMiB()) {
                    return new FargateSize(256, m);
                }
            }
        }
        for (int[] c : COMBINATIONS) {
            if (c[0] < wantCpu || r.memoryMiB() > c[2]) {
                continue;
            }
            int above = Math.max(0, r.memoryMiB() - c[1]);
            return new FargateSize(c[0], c[1] + (above + c[3] - 1) / c[3] * c[3]);
        }
        throw new BackendException(BackendException.Reason.INVALID_REQUEST, "resources of " + r.vcpu() + " vCPU / "
                + r.memoryMiB() + " MiB exceed the largest Fargate task (16 vCPU, 122880 MiB)");
    }
}
