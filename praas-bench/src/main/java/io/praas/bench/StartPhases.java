package io.praas.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the time of one process start (a fresh create or a swap-in) went, in milliseconds, from
 * the benchmark's clock (request sent, answer received), the OS process's start time (10 ms
 * resolution on Linux) and the lines the new incarnation appended to its log (HH:mm:ss.SSS):
 *
 * <ol>
 *   <li>{@code spawn}: request sent to the control plane until the JVM was forked (0 for a standby
 *       JVM of the local backend's pool, started before the request);</li>
 *   <li>{@code boot}: JVM start (a standby's: the request) until "loaded N functions" (JVM boot,
 *       class loading, CLI, logback, reading the jar, ServiceLoader; for a standby, the launch
 *       handed over, the jar read and its functions loaded);</li>
 *   <li>{@code preRestore}: functions loaded until the restore started (swap-in only: state stores,
 *       invoker, the swapper and its S3 client), NaN for a fresh start;</li>
 *   <li>{@code restore}: the restore as the process logs it ("restored snapshot ... in N ms"), 0 for
 *       a fresh start;</li>
 *   <li>{@code serve}: restore end (or functions loaded) until "registered with the control plane"
 *       (for a fresh start this also holds the S3 client; then Vert.x, listen, control channel);</li>
 *   <li>{@code answer}: registered until the control plane's answer arrived;</li>
 *   <li>{@code total}: the request's wall time.</li>
 * </ol>
 *
 * A value the log does not give is NaN.
 */
record StartPhases(double spawn, double boot, double preRestore, double restore, double serve, double answer,
                   double total) {

    private static final Pattern RESTORED = Pattern.compile("restored snapshot generation \\d+ .* in (\\d+) ms");
    private static final ZoneId ZONE = ZoneId.systemDefault();

    /**
     * Reads the lines of {@code log} from byte {@code offset} on (those of the incarnation started by
     * the request sent at {@code sent} and answered at {@code answered}).
     */
    static StartPhases read(Path log, long offset, Instant sent, Instant answered, Optional<Instant> jvmStart) {
        Instant loaded = null;
        Instant restored = null;
        long restoreMs = -1;
        Instant registered = null;
        for (String line : linesFrom(log, offset)) {
            Instant at = timestamp(line, sent);
            if (at == null) {
                continue;
            }
            if (loaded == null && line.contains(" functions from ")) {
                loaded = at;
            } else if (restored == null && line.contains("restored snapshot generation")) {
                Matcher m = RESTORED.matcher(line);
                if (m.find()) {
                    restored = at;
                    restoreMs = Long.parseLong(m.group(1));
                }
            } else if (registered == null && line.contains("registered with the control plane")) {
                registered = at;
            }
        }
        double total = between(sent, answered);
        // A standby JVM (the local backend's pool) started before the request: no spawn, and its
        // "boot" runs from the request to the functions loaded.
        Optional<Instant> from = jvmStart.map(j -> j.isBefore(sent) ? sent : j);
        double spawn = from.map(j -> between(sent, j)).orElse(Double.NaN);
        double boot = from.isPresent() && loaded != null ? between(from.get(), loaded) : Double.NaN;
        double preRestore = Double.NaN;
        double restore = 0;
        Instant servingFrom = loaded;
        if (restored != null) {
            Instant restoreStart = restored.minusMillis(restoreMs);
            preRestore = loaded != null ? between(loaded, restoreStart) : Double.NaN;
            restore = restoreMs;
            servingFrom = restored;
        }
        double serve = servingFrom != null && registered != null ? between(servingFrom, registered) : Double.NaN;
        double answer = registered != null ? between(registered, answered) : Double.NaN;
        return new StartPhases(spawn, boot, preRestore, restore, serve, answer, total);
    }

    /** The restore time the log gives ("restored snapshot ... in N ms"), or NaN. */
    static double restoreMillis(Path log, long offset) {
        for (String line : linesFrom(log, offset)) {
            Matcher m = RESTORED.matcher(line);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        return Double.NaN;
    }

    /**
     * The start time of an OS process. On Linux from its start in clock ticks after boot
     * ({@code /proc/<pid>/stat}) and the boot time from {@code /proc/uptime} (10 ms resolution; the
     * JDK's {@code ProcessHandle.Info.startInstant} takes the boot time in whole seconds, up to a
     * second off); elsewhere whatever the JDK says.
     */
    static Optional<Instant> started(Optional<ProcessHandle> p) {
        if (p.isEmpty()) {
            return Optional.empty();
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.get().pid()), "stat"));
            // fields after the command (which may hold spaces) in parentheses; starttime is field 22
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[22 - 3]);
            long nowMs = System.currentTimeMillis();
            double uptimeS = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split("\\s+")[0]);
            double bootMs = nowMs - uptimeS * 1000;
            return Optional.of(Instant.ofEpochMilli(Math.round(bootMs + ticks * 1000.0 / CLOCK_TICKS)));
        } catch (IOException | RuntimeException e) {
            return p.flatMap(h -> h.info().startInstant());
        }
    }

    /** USER_HZ: 100 on every Linux the JDK runs on. */
    private static final int CLOCK_TICKS = 100;

    private static double between(Instant a, Instant b) {
        return (b.toEpochMilli() - a.toEpochMilli()) + (b.getNano() % 1_000_000 - a.getNano() % 1_000_000) / 1e6;
    }

    private static List<String> linesFrom(Path log, long offset) {
        List<String> lines = new ArrayList<>();
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length();
            if (offset >= length) {
                return lines;
            }
            byte[] bytes = new byte[(int) Math.min(Integer.MAX_VALUE - 16, length - offset)];
            f.seek(offset);
            f.readFully(bytes);
            for (String l : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
                lines.add(l);
            }
        } catch (IOException e) {
            // no log: every phase from it is unknown
        }
        return lines;
    }

    /** The line's HH:mm:ss.SSS as an instant on the day of {@code near} (this machine's zone). */
    private static Instant timestamp(String line, Instant near) {
        if (line.length() < 12) {
            return null;
        }
        LocalTime t;
        try {
            t = LocalTime.parse(line.substring(0, 12));
        } catch (DateTimeParseException e) {
            return null;
        }
        LocalDate day = near.atZone(ZONE).toLocalDate();
        Instant at = ZonedDateTime.of(day, t, ZONE).toInstant();
        if (at.isAfter(near.plusSeconds(12 * 3600))) {
            at = at.minusSeconds(24 * 3600);
        } else if (at.isBefore(near.minusSeconds(12 * 3600))) {
            at = at.plusSeconds(24 * 3600);
        }
        return at;
    }

    /** The per-phase medians of several starts (NaN where no start gave a value). */
    static StartPhases median(List<StartPhases> all) {
        return new StartPhases(med(all, StartPhases::spawn), med(all, StartPhases::boot), med(all, StartPhases::preRestore),
                med(all, StartPhases::restore), med(all, StartPhases::serve), med(all, StartPhases::answer),
                med(all, StartPhases::total));
    }

    private static double med(List<StartPhases> all, java.util.function.ToDoubleFunction<StartPhases> f) {
        double[] v = all.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).sorted().toArray();
        return v.length == 0 ? Double.NaN : Stats.median(v);
    }
}
