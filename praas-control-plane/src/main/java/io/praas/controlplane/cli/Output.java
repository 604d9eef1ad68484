package io.praas.controlplane.cli;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.praas.client.Application;
import io.praas.client.ProcessInfo;
import io.praas.client.Resources;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What the client commands print: aligned lines for people, or the API's JSON with {@code --json}. */
final class Output {
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            // the records' components only, not helpers such as ProcessInfo.isActive()
            .setVisibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE);

    private final PrintWriter out;
    private final boolean json;

    Output(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    void line(String s) {
        out.println(s);
    }

    /** Prints {@code value} as JSON. */
    void json(Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints a message for people; nothing with --json. */
    void say(String s) {
        if (!json) {
            out.println(s);
        }
    }

    void application(Application a) {
        if (json) {
            json(a);
            return;
        }
        Fields f = new Fields();
        f.add("name", a.name());
        f.add("resources", resources(a.resources()));
        Application.Limits l = a.limits();
        if (l != null) {
            f.add("limits", l.maxProcesses() + " processes, " + l.maxConcurrencyPerProcess()
                    + " concurrent invocations and " + l.maxSessionsPerProcess() + " sessions per process, "
                    + l.stateLimitMiB() + " MiB state");
        }
        f.add("swap", swap(a.swap()));
        if (a.durability() != null) {
            f.add("durability", a.durability().wireName());
        }
        f.add("code", a.code() == null ? "none (upload a jar)" : "sha256 " + a.code().sha256() + ", "
                + a.code().sizeBytes() + " bytes, uploaded " + a.code().uploadedAt());
        f.add("created", String.valueOf(a.createdAt()));
        f.print(out);
    }

    void applications(List<Application> apps) {
        if (json) {
            json(apps);
            return;
        }
        Table t = new Table("NAME", "VCPU", "MEMORY-MIB", "MAX-PROCESSES", "SWAP", "CODE");
        for (Application a : apps) {
            Resources r = a.resources();
            t.row(a.name(), r == null ? "-" : number(r.vcpu()), r == null ? "-" : Integer.toString(r.memoryMiB()),
                    a.limits() == null ? "-" : Integer.toString(a.limits().maxProcesses()), swap(a.swap()),
                    a.code() == null ? "none" : a.code().sha256().substring(0, Math.min(12, a.code().sha256().length()))
                            + " (" + a.code().sizeBytes() + " bytes)");
        }
        t.print(out, "no applications");
    }

    void process(ProcessInfo p) {
        if (json) {
            json(p);
            return;
        }
        Fields f = new Fields();
        f.add("application", p.application());
        f.add("id", p.id());
        f.add("status", String.valueOf(p.status()));
        f.add("endpoint", p.endpoint() == null ? "-" : p.endpoint().toString());
        if (p.token() != null) {
            f.add("token", p.token());
        }
        f.add("resources", resources(p.resources()));
        f.add("backend", p.backend() == null ? "-" : p.backend());
        f.add("node", p.node() == null ? "-" : p.node());
        if (p.failure() != null) {
            f.add("failure", p.failure());
        }
        if (p.snapshot() != null) {
            f.add("snapshot", snapshot(p.snapshot()) + ", at " + p.snapshot().at() + ", " + p.snapshot().manifestKey());
        }
        ProcessInfo.Metrics m = p.metrics();
        if (m != null) {
            f.add("invocations", Long.toString(m.invocations()));
            f.add("sessions", Long.toString(m.activeSessions()));
            f.add("state", m.stateBytes() + " bytes");
            f.add("last activity", String.valueOf(m.lastActivity()));
        }
        List<String> ts = new ArrayList<>();
        for (ProcessInfo.Transition t : p.transitions()) {
            ts.add(t.status() + " " + t.at());
        }
        f.add("transitions", ts.isEmpty() ? "-" : String.join(", ", ts));
        f.print(out);
    }

    void processes(List<ProcessInfo> ps) {
        if (json) {
            json(ps);
            return;
        }
        Table t = new Table("ID", "STATUS", "ENDPOINT", "VCPU", "MEMORY-MIB", "INVOCATIONS", "SESSIONS", "NODE");
        for (ProcessInfo p : ps) {
            Resources r = p.resources();
            ProcessInfo.Metrics m = p.metrics();
            t.row(p.id(), String.valueOf(p.status()), p.endpoint() == null ? "-" : p.endpoint().toString(),
                    r == null ? "-" : number(r.vcpu()), r == null ? "-" : Integer.toString(r.memoryMiB()),
                    m == null ? "-" : Long.toString(m.invocations()), m == null ? "-" : Long.toString(m.activeSessions()),
                    p.node() == null ? "-" : p.node());
        }
        t.print(out, "no processes");
    }

    static String resources(Resources r) {
        return r == null ? "-" : number(r.vcpu()) + " vCPU, " + r.memoryMiB() + " MiB";
    }

    static String snapshot(ProcessInfo.Snapshot s) {
        return "generation " + s.generation() + ", " + s.snapshotBytes() + " bytes, " + s.stateBytes()
                + " bytes of state, written in " + s.durationMs() + " ms";
    }

    static String swap(Application.SwapPolicy s) {
        return s == null || s.idleSeconds() == 0 ? "never" : "after " + s.idleSeconds() + " s idle";
    }

    private static String number(double d) {
        return d == Math.rint(d) ? String.format(Locale.ROOT, "%.1f", d) : Double.toString(d);
    }

    /** "name:   value" lines with the values aligned. */
    private static final class Fields {
        private final List<String[]> rows = new ArrayList<>();

        void add(String name, String value) {
            rows.add(new String[]{name + ":", value});
        }

        void print(PrintWriter out) {
            int w = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
            for (String[] r : rows) {
                out.println(String.format(Locale.ROOT, "%-" + w + "s  %s", r[0], r[1]));
            }
        }
    }

    /** Columns padded to their widest cell. */
    private static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        void row(String... cells) {
            rows.add(cells);
        }

        void print(PrintWriter out, String whenEmpty) {
            if (rows.size() == 1) {
                out.println(whenEmpty);
                return;
            }
            int[] w = new int[rows.get(0).length];
            for (String[] r : rows) {
                for (int i = 0; i < r.length; i++) {
                    w[i] = Math.max(w[i], r[i].length());
                }
            }
            for (String[] r : rows) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < r.length; i++) {
                    b.append(r[i]);
                    if (i < r.length - 1) {
                        b.append(" ".repeat(w[i] - r[i].length() + 2));
                    }
                }
                out.println(b);
            }
        }
    }
}
