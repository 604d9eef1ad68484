package io.praas.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Settings of one benchmark run, parsed once from the command line. On a 2-core machine the
 * defaults finish {@code latency} and {@code throughput} in two to three minutes, {@code invoke-path}
 * in under a minute, {@code swap} (1 / 100 / 1000 MiB) in about three and {@code cold-start} in
 * about two.
 *
 * @param command         latency, throughput, invoke-path, swap, cold-start, messaging, registry or all
 * @param iterations      measured round trips per side for payloads up to 16 KiB (fewer above: {@link #iterationsFor})
 * @param warmup          warm-up round trips per side for payloads up to 16 KiB
 * @param rounds          alternating blocks the measured round trips are split into
 * @param sizes           latency payload sizes in bytes
 * @param seconds         measured seconds of each throughput run
 * @param warmupSeconds   unmeasured seconds at the start of each throughput run
 * @param warmupRunSeconds length of the unmeasured throughput run of each side before the measured ones
 * @param runs            throughput runs per side, alternating
 * @param sessions        throughput sessions
 * @param window          throughput invokes in flight per session
 * @param throughputBytes payload of each no-op invoke
 * @param caseTimeoutSec  upper bound of one latency case (both sides); a case stops early past it
 * @param out             directory of the results-*.md files (null: this module's target directory)
 * @param pathIterations  invoke-path: measured invokes per side
 * @param pathWarmup      invoke-path: warm-up invokes per side
 * @param swapSizes       swap: bytes of process state per case
 * @param swapRepeats     swap: swap-out/swap-in cycles (and raw uploads/downloads) per size; sizes over
 *                        {@link #LARGE_SWAP} get one fewer (at least one)
 * @param starts          cold-start: measured fresh starts and swap-ins each
 * @param keepData        keep the data directory of the control-plane node of invoke-path, swap and
 *                        cold-start (process logs, object store) instead of deleting it
 * @param pin             latency: client on core 0, servers on core 1 ({@link CpuPinning}); false leaves
 *                        placement to the kernel
 * @param standbyJvms     swap and cold-start: the local backend's standby JVMs per shape (0: a JVM per start)
 */
record BenchOptions(String command, int iterations, int warmup, int rounds, List<Integer> sizes,
                    int seconds, int warmupSeconds, int warmupRunSeconds, int runs, int sessions, int window,
                    int throughputBytes, int caseTimeoutSec, Path out, int pathIterations, int pathWarmup,
                    List<Integer> swapSizes, int swapRepeats, int starts, boolean keepData, boolean pin,
                    int standbyJvms) {

    static final List<String> COMMANDS = List.of("latency", "throughput", "invoke-path", "swap", "cold-start", "messaging", "registry", "all");
    /** Swap sizes above this get one repeat fewer: a 1000 MiB cycle takes tens of seconds. */
    static final int LARGE_SWAP = 256 * 1024 * 1024;
    static final int MAX_SWAP = 2000 * 1024 * 1024;
    static final int WARMUP_FLOOR = 5_000;

    static final String USAGE = "usage: praas bench [" + String.join("|", COMMANDS) + "] [options]\n" + """
              --iterations N       measured round trips per side for payloads <= 16 KiB (default 40000);
                                   larger payloads get N*16KiB/size, at least min(N, 1000)
              --warmup N           warm-up round trips per side, scaled alike but at least 5000
                                   (default 10000)
              --rounds N           alternating PraaS/baseline blocks per case (default 10)
              --sizes LIST         latency payloads, e.g. 10,1k,100k,1m (default); with `swap`, the swap
                                   state sizes (same as --swap-sizes)
              --seconds N          measured seconds per throughput run (default 8)
              --warmup-seconds N   unmeasured seconds before each throughput run (default 2)
              --warmup-run N       seconds of one unmeasured throughput run per side first (default 5)
              --runs N             throughput runs per side, alternating (default 2)
              --sessions N         throughput sessions (default 16)
              --window N           invokes in flight per session (default 8)
              --payload N          throughput payload bytes (default 16)
              --case-timeout N     seconds one latency case may take at most (default 120)
              --path-iterations N  invoke-path: measured 1 KiB echo invokes per side (default 10000)
              --path-warmup N      invoke-path: warm-up invokes per side (default 3000)
              --swap-sizes LIST    swap: process state sizes, e.g. 1m,100m,1000m (default), at most 2000m
              --swap-repeats N     swap: cycles per size (default 3; sizes over 256 MiB one fewer)
              --starts N           cold-start: measured fresh starts and swap-ins (default 16 each)
              --keep-data          keep the control-plane node's data directory (process logs, store) of
                                   invoke-path, swap and cold-start, and print where it is
              --standby-jvms N     swap, cold-start: pre-started JVMs per shape of the local backend
                                   (default 1; 0 starts a JVM for every process); each measured start
                                   waits until the standby is warm
              --no-pin             latency: leave the client and servers to the kernel's placement
                                   (default: client on core 0, servers on core 1, as on separate hosts)
              --out DIR            where results-<name>.md go (default praas-bench/target)
            """;

    static final int SMALL_PAYLOAD_LIMIT = 16 * 1024;

    BenchOptions {
        require(COMMANDS.contains(command), "unknown benchmark '" + command + "' (one of " + COMMANDS + ")");
        require(iterations >= 1 && warmup >= 0 && rounds >= 1, "iterations >= 1, warmup >= 0, rounds >= 1");
        require(!sizes.isEmpty() && sizes.stream().allMatch(s -> s >= 0 && s <= 8 * 1024 * 1024),
                "sizes must be 0 B .. 8 MiB");
        require(seconds >= 1 && warmupSeconds >= 0 && warmupRunSeconds >= 0 && runs >= 1,
                "seconds >= 1, warmup-seconds >= 0, warmup-run >= 0, runs >= 1");
        require(sessions >= 1 && window >= 1 && sessions * window <= 1024,
                "sessions and window >= 1, and at most 1024 in flight (the process's queue)");
        require(throughputBytes >= 0 && throughputBytes <= 1024 * 1024, "payload must be 0 B .. 1 MiB");
        require(caseTimeoutSec >= 1, "case-timeout >= 1");
        require(pathIterations >= 1 && pathWarmup >= 0, "path-iterations >= 1, path-warmup >= 0");
        require(!swapSizes.isEmpty() && swapSizes.stream().allMatch(s -> s >= 1 && s <= MAX_SWAP),
                "swap sizes must be 1 B .. 2000 MiB");
        require(swapRepeats >= 1 && starts >= 1, "swap-repeats >= 1, starts >= 1");
        require(standbyJvms >= 0 && standbyJvms <= io.praas.controlplane.backend.LocalBackend.MAX_STANDBYS_PER_SHAPE,
                "standby-jvms must be 0.." + io.praas.controlplane.backend.LocalBackend.MAX_STANDBYS_PER_SHAPE);
        sizes = List.copyOf(sizes);
        swapSizes = List.copyOf(swapSizes);
    }

    /** Swap-out/swap-in cycles for a state of {@code size} bytes. */
    int swapRepeatsFor(int size) {
        return size > LARGE_SWAP ? Math.max(1, swapRepeats - 1) : swapRepeats;
    }

    static BenchOptions parse(String[] args) {
        String command = "all";
        int iterations = 40_000;
        int warmup = 10_000;
        int rounds = 10;
        List<Integer> sizes = List.of(10, 1024, 100 * 1024, 1024 * 1024);
        int seconds = 8;
        int warmupSeconds = 2;
        int warmupRunSeconds = 5;
        int runs = 2;
        int sessions = 16;
        int window = 8;
        int payload = 16;
        int caseTimeout = 120;
        Path out = null;
        int pathIterations = 10_000;
        int pathWarmup = 3_000;
        List<Integer> swapSizes = List.of(1024 * 1024, 100 * 1024 * 1024, 1000 * 1024 * 1024);
        int swapRepeats = 3;
        int starts = 16;
        String sizesGiven = null;
        boolean keepData = false;
        int standbyJvms = 1;
        boolean pin = true;
        boolean commandSeen = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                require(!commandSeen, "more than one benchmark given: " + command + " and " + a);
                command = a;
                commandSeen = true;
                continue;
            }
            if (a.equals("--keep-data")) {
                keepData = true;
                continue;
            }
            if (a.equals("--no-pin")) {
                pin = false;
                continue;
            }
            String name = a;
            String value;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            } else {
                require(i + 1 < args.length, a + " needs a value");
                value = args[++i];
            }
            switch (name) {
                case "--iterations" -> iterations = integer(name, value);
                case "--warmup" -> warmup = integer(name, value);
                case "--rounds" -> rounds = integer(name, value);
                case "--sizes" -> sizesGiven = value;
                case "--swap-sizes" -> swapSizes = sizes(value);
                case "--swap-repeats" -> swapRepeats = integer(name, value);
                case "--path-iterations" -> pathIterations = integer(name, value);
                case "--path-warmup" -> pathWarmup = integer(name, value);
                case "--starts" -> starts = integer(name, value);
                case "--standby-jvms" -> standbyJvms = integer(name, value);
                case "--seconds" -> seconds = integer(name, value);
                case "--warmup-seconds" -> warmupSeconds = integer(name, value);
                case "--warmup-run" -> warmupRunSeconds = integer(name, value);
                case "--runs" -> runs = integer(name, value);
                case "--sessions" -> sessions = integer(name, value);
                case "--window" -> window = integer(name, value);
                case "--payload" -> payload = bytes(value);
                case "--case-timeout" -> caseTimeout = integer(name, value);
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + name);
            }
        }
        if (sizesGiven != null) {
            // --sizes names the payloads of `latency`, or the state sizes when the command is `swap`
            if (command.equals("swap")) {
                swapSizes = sizes(sizesGiven);
            } else {
                sizes = sizes(sizesGiven);
            }
        }
        return new BenchOptions(command, iterations, warmup, rounds, sizes, seconds, warmupSeconds, warmupRunSeconds,
                runs, sessions, window, payload, caseTimeout, out, pathIterations, pathWarmup, swapSizes, swapRepeats,
                starts, keepData, pin, standbyJvms);
    }

    /** Measured round trips per side for a payload: fewer for big payloads, to bound the run time. */
    int iterationsFor(int size) {
        return scaled(iterations, size, 1_000);
    }

    /**
     * Warm-up round trips per side for a payload: fewer for big payloads, but at least
     * {@link #WARMUP_FLOOR} (or --warmup, if lower), since the JIT compiles a path after a number of
     * calls, whatever their size; fewer left the large-payload path half compiled in the measured
     * blocks (its p99 fell from ~2.5 ms to ~0.5 ms at 100 KiB after 40,000 round trips instead of 3,000).
     */
    int warmupFor(int size) {
        return scaled(warmup, size, WARMUP_FLOOR);
    }

    private static int scaled(int n, int size, int floor) {
        if (size <= SMALL_PAYLOAD_LIMIT) {
            return n;
        }
        long byBytes = (long) n * SMALL_PAYLOAD_LIMIT / size;
        return (int) Math.min(n, Math.max(Math.min(n, floor), byBytes));
    }

    static String humanBytes(long n) {
        if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) {
            return n / (1024 * 1024) + " MiB";
        }
        if (n >= 1024 && n % 1024 == 0) {
            return n / 1024 + " KiB";
        }
        return n + " B";
    }

    private static List<Integer> sizes(String list) {
        List<Integer> out = new ArrayList<>();
        for (String s : list.split(",")) {
            if (!s.isBlank()) {
                out.add(bytes(s.strip()));
            }
        }
        return out;
    }

    private static int bytes(String s) {
        String v = s.toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long unit = 1;
        if (v.endsWith("k")) {
            unit = 1024;
        } else if (v.endsWith("m")) {
            unit = 1024 * 1024;
        }
        if (unit > 1) {
            v = v.substring(0, v.length() - 1);
        }
        try {
            return Math.toIntExact(Math.multiplyExact(Long.parseLong(v.strip()), unit));
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a size: " + s + " (e.g. 10, 1k, 100k, 1m)");
        }
    }

    private static int integer(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a whole number, not '" + value + "'");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
