package io.praas.bench;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Puts a benchmark's client and its servers on cores of their own (with {@code taskset}), as when
 * client and process run on different hosts. Unpinned on a 2-core machine the kernel moves client
 * and server threads onto one core and apart again during a run, and a round trip takes ~9 us on a
 * shared core but 60-90 us across cores: that, not the code, then decides a latency ratio.
 *
 * <pre>{@code
 * CpuPinning.pin(serverPid, "1");
 * CpuPinning.pin(ProcessHandle.current().pid(), "0");
 * }</pre>
 */
final class CpuPinning {
    private CpuPinning() {
    }

    /** Why pinning cannot be done here, or null when it can (two or more cores and taskset). */
    static String unavailableReason() {
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return "fewer than 2 cores available";
        }
        try {
            Process p = new ProcessBuilder("taskset", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? null : "taskset failed";
        } catch (IOException e) {
            return "no taskset (util-linux)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * The affinity mask of process {@code pid} (hex, as taskset prints it), to put back with
     * {@link #restore}: once pinned, a JVM counts only the cores it is pinned to, so its idea of
     * "all cores" is no longer all of them.
     */
    static String mask(long pid) {
        String out = taskset("-p", Long.toString(pid));
        return out.substring(out.lastIndexOf(':') + 1).strip();
    }

    /** Binds every thread of process {@code pid} (and threads they start later) to {@code cores}. */
    static void pin(long pid, String cores) {
        taskset("-a", "-cp", cores, Long.toString(pid));
    }

    /** Binds every thread of process {@code pid} to the cores of {@code mask} (from {@link #mask}). */
    static void restore(long pid, String mask) {
        taskset("-a", "-p", mask, Long.toString(pid));
    }

    private static String taskset(String... args) {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("taskset"));
        cmd.addAll(java.util.List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run taskset: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running taskset", e);
        }
    }
}
