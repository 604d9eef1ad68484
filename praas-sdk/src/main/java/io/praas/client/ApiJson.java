package io.praas.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The JSON of the REST API (openapi.yaml) to and from the SDK's records. */
final class ApiJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private ApiJson() {
    }

    static JsonNode read(byte[] body) throws IOException {
        JsonNode n = MAPPER.readTree(body);
        if (n == null || n.isMissingNode()) {
            throw new IOException("empty body where JSON was expected");
        }
        return n;
    }

    static <T> List<T> list(JsonNode n, Function<JsonNode, T> element) throws IOException {
        if (!n.isArray()) {
            throw new IOException("expected a JSON array, got " + n.getNodeType());
        }
        List<T> out = new ArrayList<>(n.size());
        for (JsonNode e : n) {
            out.add(element.apply(e));
        }
        return List.copyOf(out);
    }

    // ---- answers

    static Application application(JsonNode n) {
        requireObject(n, "application");
        JsonNode l = n.path("limits");
        JsonNode c = n.get("code");
        return new Application(text(n, "name"), resources(n.get("resources")),
                l.isObject() ? new Application.Limits(intOf(l, "maxProcesses"), intOf(l, "maxConcurrencyPerProcess"),
                        intOf(l, "maxSessionsPerProcess"), intOf(l, "stateLimitMiB")) : null,
                n.path("swap").isObject() ? new Application.SwapPolicy(Math.max(0, longOf(n.get("swap"), "idleSeconds"))) : null,
                text(n, "durability") == null ? null : Application.Durability.parse(text(n, "durability")),
                c != null && c.isObject() ? new Application.Code(text(c, "sha256"), longOf(c, "sizeBytes"),
                        instant(c, "uploadedAt")) : null,
                instant(n, "createdAt"));
    }

    static ProcessInfo process(JsonNode n) {
        requireObject(n, "process");
        JsonNode ep = n.get("endpoint");
        JsonNode m = n.get("metrics");
        JsonNode s = n.get("snapshot");
        List<ProcessInfo.Transition> transitions = new ArrayList<>();
        for (JsonNode t : n.path("transitions")) {
            transitions.add(new ProcessInfo.Transition(ProcessStatus.parse(text(t, "status")), instant(t, "at")));
        }
        return new ProcessInfo(text(n, "application"), text(n, "id"), ProcessStatus.parse(text(n, "status")),
                resources(n.get("resources")),
                ep != null && ep.isObject() ? new ProcessInfo.Endpoint(text(ep, "host"), intOf(ep, "port")) : null,
                text(n, "token"), text(n, "backend"), text(n, "node"), text(n, "failure"),
                s != null && s.isObject() ? new ProcessInfo.Snapshot(longOf(s, "generation"), text(s, "manifestKey"),
                        longOf(s, "snapshotBytes"), longOf(s, "stateBytes"), longOf(s, "durationMs"), instant(s, "at")) : null,
                m != null && m.isObject() ? new ProcessInfo.Metrics(longOf(m, "invocations"), longOf(m, "activeSessions"),
                        longOf(m, "stateBytes"), instant(m, "lastActivity")) : null,
                transitions);
    }

    static IssuedToken token(JsonNode n) {
        requireObject(n, "token");
        String token = text(n, "token");
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("the answer has no 'token'");
        }
        return new IssuedToken(token, instant(n, "expiresAt"));
    }

    static Health health(JsonNode n) {
        requireObject(n, "health");
        return new Health(text(n, "status"), text(n, "node"), intOf(n, "clusterSize"));
    }

    // ---- requests

    static byte[] applicationSpec(ApplicationSpec spec) throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("name", spec.name());
        putResources(o, spec.resources());
        Application.Limits l = spec.limits();
        if (l != null) {
            ObjectNode lo = MAPPER.createObjectNode();
            putPositive(lo, "maxProcesses", l.maxProcesses());
            putPositive(lo, "maxConcurrencyPerProcess", l.maxConcurrencyPerProcess());
            putPositive(lo, "maxSessionsPerProcess", l.maxSessionsPerProcess());
            putPositive(lo, "stateLimitMiB", l.stateLimitMiB());
            o.set("limits", lo);
        }
        if (spec.swap() != null) {
            o.putObject("swap").put("idleSeconds", spec.swap().idleSeconds());
        }
        if (spec.durability() != null) {
            o.put("durability", spec.durability().wireName());
        }
        return MAPPER.writeValueAsBytes(o);
    }

    static byte[] processSpec(ProcessSpec spec) throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        if (spec.name() != null) {
            o.put("name", spec.name());
        }
        putResources(o, spec.resources());
        return MAPPER.writeValueAsBytes(o);
    }

    static byte[] tokenRequest(String process, Duration ttl) throws IOException {
        ObjectNode o = MAPPER.createObjectNode();
        if (process != null && !process.isEmpty()) {
            o.put("process", process);
        }
        if (ttl != null) {
            o.put("ttlSeconds", Math.max(1, ttl.toSeconds()));
        }
        return MAPPER.writeValueAsBytes(o);
    }

    // ---- fields

    private static void putResources(ObjectNode o, Resources r) {
        if (r == null) {
            return;
        }
        ObjectNode ro = MAPPER.createObjectNode();
        if (r.vcpu() > 0) {
            ro.put("vcpu", r.vcpu());
        }
        putPositive(ro, "memoryMiB", r.memoryMiB());
        o.set("resources", ro);
    }

    private static void putPositive(ObjectNode o, String field, int v) {
        if (v > 0) {
            o.put(field, v);
        }
    }

    private static Resources resources(JsonNode r) {
        if (r == null || !r.isObject()) {
            return null;
        }
        return new Resources(Math.max(0, r.path("vcpu").asDouble(0)), Math.max(0, intOf(r, "memoryMiB")));
    }

    private static void requireObject(JsonNode n, String what) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("expected a JSON object for the " + what + ", got "
                    + (n == null ? "nothing" : n.getNodeType()));
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static int intOf(JsonNode n, String field) {
        return n.path(field).asInt(0);
    }

    private static long longOf(JsonNode n, String field) {
        return n.path(field).asLong(0);
    }

    /** ISO-8601 text, as the control plane writes times; epoch seconds (with a fraction) are read too. */
    private static Instant instant(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            BigDecimal s = v.decimalValue();
            return Instant.ofEpochSecond(s.longValue(), s.remainder(BigDecimal.ONE).movePointRight(9).longValue());
        }
        return Instant.parse(v.asText());
    }
}
